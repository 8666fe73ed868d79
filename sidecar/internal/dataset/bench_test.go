package dataset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
)

// Benchmarks of docs/benchmarks.md: a snapshot and a diff with 10 changed files, on datasets of 1,000 and
// 100,000 files, on the fs store with fsync on (the default). Compare the two sizes: the goal is cost
// proportional to the change (< 100 ms at 100k, within 2× of 1k).
//
//	go test -run '^$' -bench . ./sidecar/internal/dataset/

// benchBase is a dataset of n files with one snapshot, built once per process (building 100k files
// through the manifest takes about a second; through 100k WriteFile calls it would take minutes).
type benchBase struct {
	e     *Engine
	id    string
	paths []string
}

var (
	benchMu    sync.Mutex
	benchBases = map[benchKey]*benchBase{}
	benchDirs  []string
)

func cleanupBench() {
	for _, d := range benchDirs {
		_ = os.RemoveAll(d)
	}
}

type benchKey struct {
	n     int
	fsync bool
}

func base(b *testing.B, n int, fsync bool) *benchBase {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if bb, ok := benchBases[benchKey{n, fsync}]; ok {
		return bb
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kamld-bench-*")
	require.NoError(b, err)
	benchDirs = append(benchDirs, dir)
	store, err := fs.New(dir, fs.WithFsync(fsync))
	require.NoError(b, err)
	e := New(store)
	id := fmt.Sprintf("bench-%d", n)
	_, err = e.CreateDataset(ctx, id, Metadata{})
	require.NoError(b, err)
	bb := &benchBase{e: e, id: id, paths: seedFiles(b, e, id, n)}
	benchBases[benchKey{n, fsync}] = bb
	return bb
}

// seedFiles makes dataset id (empty) hold n files in one snapshot, built through the manifest (fast) and
// restored into the draft, and returns their paths, sorted.
func seedFiles(tb testing.TB, e *Engine, id string, n int) []string {
	tb.Helper()
	ctx := context.Background()
	var paths []string
	changes := make([]manifest.Change, n)
	for i := range n {
		p := fmt.Sprintf("shard-%03d/part-%07d.parquet", i%100, i)
		paths = append(paths, p)
		changes[i] = manifest.Change{Path: p, Entry: &manifest.Entry{Path: p, Digest: digestOf(p), Size: int64(1000 + i), MediaType: "application/vnd.apache.parquet", ModTime: time.Unix(1, 0).UTC()}}
	}
	slices.Sort(paths)
	tree, err := e.trees.Empty().Apply(ctx, changes)
	require.NoError(tb, err)
	root, _, err := tree.Save(ctx)
	require.NoError(tb, err)
	d, err := e.open(ctx, access.Reader, "name", id)
	require.NoError(tb, err)
	_, err = d.resetDraft(ctx, root)
	require.NoError(tb, err)
	_, err = e.CreateSnapshot(ctx, id, SnapshotOptions{Message: "base"})
	require.NoError(tb, err)
	return paths
}

// change10 writes 10 changed files into the draft (real blobs and draft entries): spread at random over the
// whole dataset (the worst case: about one leaf per change) or clustered (10 neighbouring files, as when a
// job rewrites one folder).
func (bb *benchBase) change10(b *testing.B, rng *rand.Rand, round int, clustered bool) {
	ctx := context.Background()
	start := rng.IntN(len(bb.paths) - 10)
	for j := range 10 {
		p := bb.paths[rng.IntN(len(bb.paths))]
		if clustered {
			p = bb.paths[start+j]
		}
		_, err := bb.e.WriteFile(ctx, bb.id, p, stringsReader(fmt.Sprintf("round %d change %d", round, j)), WriteOptions{})
		require.NoError(b, err)
	}
}

func BenchmarkSnapshot10Changes(b *testing.B) {
	for _, sub := range benchCases() {
		n, clustered, fsync := sub.n, sub.clustered, sub.fsync
		b.Run(sub.name, func(b *testing.B) {
			bb := base(b, n, fsync)
			rng := rand.New(rand.NewPCG(uint64(n), 7))
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				bb.change10(b, rng, i, clustered)
				b.StartTimer()
				if _, err := bb.e.CreateSnapshot(ctx, bb.id, SnapshotOptions{Message: "10 changes"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDiff10Changes(b *testing.B) {
	for _, sub := range benchCases() {
		n, clustered, fsync := sub.n, sub.clustered, sub.fsync
		b.Run(sub.name, func(b *testing.B) {
			bb := base(b, n, fsync)
			ctx := context.Background()
			bb.change10(b, rand.New(rand.NewPCG(uint64(n), 9)), -1, clustered)
			s, err := bb.e.CreateSnapshot(ctx, bb.id, SnapshotOptions{Message: "10 changes"})
			require.NoError(b, err)
			from := fmt.Sprintf("v%d", s.Sequence-1)
			b.ResetTimer()
			for range b.N {
				d, err := bb.e.Diff(ctx, bb.id, DiffOptions{From: from, To: s.ID})
				if err != nil {
					b.Fatal(err)
				}
				if d.Stats.Modified == 0 || d.Stats.Modified > 10 {
					b.Fatalf("diff found %+v", d.Stats)
				}
			}
		})
	}
}

type benchCase struct {
	name             string
	n                int
	clustered, fsync bool
}

// benchCases: fs with fsync (the default, what users get) and without (the engine's own cost, without the
// disk's flush latency, which dominates and varies with the machine).
func benchCases() []benchCase {
	var out []benchCase
	for _, fsync := range []bool{true, false} {
		for _, spread := range []string{"random", "clustered"} {
			for _, n := range []int{1_000, 100_000} {
				name := fmt.Sprintf("store=fs,fsync=%v/%s/files=%d", fsync, spread, n)
				out = append(out, benchCase{name, n, spread == "clustered", fsync})
			}
		}
	}
	return out
}
