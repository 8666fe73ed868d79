package manifest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
)

func newStore(t *testing.T) (*manifest.Store, blob.Store) {
	t.Helper()
	b, err := fs.New(t.TempDir(), fs.WithFsync(false))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return manifest.NewStore(b, manifest.WithLeafCache(0)), b // no cache: every read goes to the store
}

func entry(path string, v int) manifest.Entry {
	return manifest.Entry{Path: path, Digest: fmt.Sprintf("sha256:%064x", v), Size: int64(v), MediaType: "text/plain", ModTime: time.Unix(0, int64(v)).UTC()}
}

func set(e manifest.Entry) manifest.Change { return manifest.Change{Path: e.Path, Entry: &e} }

func all(t *testing.T, tr *manifest.Tree) map[string]manifest.Entry {
	t.Helper()
	out := map[string]manifest.Entry{}
	it := tr.Scan("")
	prev := ""
	for e, ok := it.Next(context.Background()); ok; e, ok = it.Next(context.Background()) {
		require.Greater(t, e.Path, prev, "entries are strictly sorted")
		prev = e.Path
		out[e.Path] = e
	}
	require.NoError(t, it.Err())
	return out
}

func countChunks(t *testing.T, b blob.Store) int {
	t.Helper()
	n, after := 0, ""
	for {
		p, err := b.List(context.Background(), blob.ListOptions{Prefix: manifest.ChunkPrefix, StartAfter: after})
		require.NoError(t, err)
		n += len(p.Objects)
		if !p.More {
			return n
		}
		after = p.Objects[len(p.Objects)-1].Key
	}
}

// TestApplyMatchesAMap applies random batches of changes and checks the tree against a plain map, after a
// save and reload, and that Diff reports exactly the map's differences.
func TestApplyMatchesAMap(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string]manifest.Entry{}
	tr := s.Empty()
	for round := range 30 {
		var changes []manifest.Change
		for range rng.IntN(400) + 1 {
			p := fmt.Sprintf("d%d/f%05d.csv", rng.IntN(5), rng.IntN(3000))
			if rng.IntN(4) == 0 {
				changes = append(changes, manifest.Change{Path: p})
				delete(want, p)
			} else {
				e := entry(p, round*100000+rng.IntN(100000))
				changes = append(changes, set(e))
				want[p] = e
			}
		}
		prev := tr
		next, err := tr.Apply(ctx, changes)
		require.NoError(t, err)
		root, _, err := next.Save(ctx)
		require.NoError(t, err)
		tr, err = s.Load(ctx, root)
		require.NoError(t, err)
		got := all(t, tr)
		require.Equal(t, len(want), len(got), "round %d", round)
		for p, e := range want {
			require.True(t, e.Same(got[p]), "round %d path %s", round, p)
		}
		n, _ := tr.Stats()
		require.EqualValues(t, len(want), n)
		// Canonical: built incrementally or from scratch, the same entries give the same root.
		var fresh []manifest.Change
		for _, e := range want {
			fresh = append(fresh, set(e))
		}
		scratch, err := s.Empty().Apply(ctx, fresh)
		require.NoError(t, err)
		require.Equal(t, scratch.Digest(), tr.Digest(), "round %d", round)

		// Diff prev → tr equals the difference of their contents.
		before := all(t, prev)
		var diffs []string
		require.NoError(t, manifest.Diff(ctx, prev, tr, "", func(a, b *manifest.Entry) error {
			switch {
			case a == nil:
				diffs = append(diffs, "+"+b.Path)
			case b == nil:
				diffs = append(diffs, "-"+a.Path)
			default:
				diffs = append(diffs, "~"+a.Path)
			}
			return nil
		}))
		var expect []string
		for p, e := range want {
			if o, ok := before[p]; !ok {
				expect = append(expect, "+"+p)
			} else if !o.Same(e) {
				expect = append(expect, "~"+p)
			}
		}
		for p := range before {
			if _, ok := want[p]; !ok {
				expect = append(expect, "-"+p)
			}
		}
		key := func(s []string) { sort.Slice(s, func(i, j int) bool { return s[i][1:] < s[j][1:] }) }
		key(expect)
		require.Equal(t, expect, diffs, "round %d", round)
	}
}

// TestTenChangesRewriteFewLeaves is the point of the tree: changing 10 of 5,000 entries writes a few leaves
// and a root, shares the rest with the parent, and a diff reads only the changed leaves.
func TestTenChangesRewriteFewLeaves(t *testing.T) {
	ctx := context.Background()
	s, b := newStore(t)
	var changes []manifest.Change
	for i := range 5000 {
		changes = append(changes, set(entry(fmt.Sprintf("data/part-%05d.parquet", i), i)))
	}
	base, err := s.Empty().Apply(ctx, changes)
	require.NoError(t, err)
	_, written, err := base.Save(ctx)
	require.NoError(t, err)
	leaves := len(base.Leaves())
	require.Equal(t, leaves+1, written)
	require.Equal(t, written, countChunks(t, b))
	require.True(t, leaves >= 4 && leaves <= 20, "5,000 entries in %d leaves; expected ~8 of ~600", leaves)

	var edit []manifest.Change
	for i := range 10 {
		edit = append(edit, set(entry(fmt.Sprintf("data/part-%05d.parquet", i*7+100), 1e6+i))) // a cluster, as real edits are
	}
	edit = append(edit, set(entry("data/part-04000-new.parquet", 1)), manifest.Change{Path: "data/part-02500.parquet"})
	next, err := base.Apply(ctx, edit)
	require.NoError(t, err)
	before := countChunks(t, b)
	_, written, err = next.Save(ctx)
	require.NoError(t, err)
	require.Equal(t, before+written, countChunks(t, b))
	require.LessOrEqual(t, written, 1+6, "an edit in three places rewrites about three leaves and the root")

	shared := 0
	for _, l := range next.Leaves() {
		for _, o := range base.Leaves() {
			if l.Digest == o.Digest {
				shared++
			}
		}
	}
	require.GreaterOrEqual(t, shared, leaves-6)

	n := 0
	require.NoError(t, manifest.Diff(ctx, base, next, "", func(a, b *manifest.Entry) error { n++; return nil }))
	require.Equal(t, 12, n)
	n = 0
	require.NoError(t, manifest.Diff(ctx, base, next, "data/part-001", func(a, b *manifest.Entry) error { n++; return nil }))
	require.Equal(t, 10, n, "paths 100, 107, …, 163 are under the prefix")
}

func TestBoundariesDoNotDependOnPosition(t *testing.T) {
	// Inserting entries at the front must not move the boundaries far behind them.
	ctx := context.Background()
	s, _ := newStore(t)
	var changes []manifest.Change
	for i := range 20000 {
		changes = append(changes, set(entry(fmt.Sprintf("f%06d", i), i)))
	}
	a, err := s.Empty().Apply(ctx, changes)
	require.NoError(t, err)
	b, err := a.Apply(ctx, []manifest.Change{set(entry("a-first", 1)), set(entry("a-second", 2))})
	require.NoError(t, err)
	same := 0
	for i := range min(len(a.Leaves()), len(b.Leaves())) {
		if a.Leaves()[len(a.Leaves())-1-i].Digest == b.Leaves()[len(b.Leaves())-1-i].Digest {
			same++
		}
	}
	require.GreaterOrEqual(t, same, len(a.Leaves())-2)
	require.NotEqual(t, a.Digest(), b.Digest())
}
