package dataset

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
)

// TestConcurrentWritersAndSnapshots: 8 writers × 25 files and 4 snapshotters at once, each goroutine with an
// Engine of its own (as separate sidecars would have). Afterwards: every write that returned success is in
// every snapshot started after it returned, and in the final state; history is linear (v1..vn, each the
// parent of the next); every tree reads back sorted and consistent with its stats. Each goroutine has its own
// store client too (on fs its own lock descriptors, so flock does the excluding, as between processes).
func TestConcurrentWritersAndSnapshots(t *testing.T) {
	onSharedStores(t, func(t *testing.T, open func() blob.Store) {
		ctx := context.Background()
		store := open()
		_, err := New(store).CreateDataset(ctx, "race", Metadata{})
		require.NoError(t, err)

		type done struct {
			path, digest string
			at           time.Time
		}
		type snap struct {
			s       *Snapshot
			started time.Time
		}
		var (
			mu     sync.Mutex
			writes []done
			snaps  []snap
			wg     sync.WaitGroup
		)
		writersDone := make(chan struct{})
		var writers sync.WaitGroup
		for w := range 8 {
			writers.Add(1)
			go func() {
				defer writers.Done()
				e := New(open(), WithRetries(500))
				for i := range 25 {
					p := fmt.Sprintf("w%d/f%02d.txt", w, i)
					content := fmt.Sprintf("writer %d file %d", w, i)
					fi, err := e.WriteFile(ctx, "race", p, strings.NewReader(content), WriteOptions{})
					if !assertNoError(t, err, p) {
						continue
					}
					mu.Lock()
					writes = append(writes, done{p, fi.Digest, time.Now()})
					mu.Unlock()
					time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond) // clients pause; snapshots interleave
				}
			}()
		}
		go func() { writers.Wait(); close(writersDone) }()
		for range 4 {
			wg.Go(func() {
				e := New(open(), WithRetries(500))
				for {
					select {
					case <-writersDone:
						return
					default:
					}
					start := time.Now()
					s, err := e.CreateSnapshot(ctx, "race", SnapshotOptions{Message: "auto"})
					switch {
					case err == nil:
						mu.Lock()
						snaps = append(snaps, snap{s, start})
						mu.Unlock()
					case errors.Is(err, apierr.ErrFailedPrecondition), errors.Is(err, apierr.ErrAborted):
					default:
						t.Errorf("snapshot: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
		require.Equal(t, 200, len(writes), "every write succeeded")

		e := New(store)
		// Everything written is in the draft now, before any final snapshot.
		draft := map[string]string{}
		l, err := e.ListFiles(ctx, "race", "draft", ListFilesOptions{Recursive: true, Page: Page{Size: MaxPageSize}})
		require.NoError(t, err)
		for _, f := range l.Files {
			draft[f.Path] = f.Digest
		}
		for _, w := range writes {
			require.Equal(t, w.digest, draft[w.path], "write of %s lost from the draft", w.path)
		}
		final, err := e.CreateSnapshot(ctx, "race", SnapshotOptions{AllowEmpty: true})
		require.NoError(t, err)
		require.EqualValues(t, 200, final.Stats.FileCount)

		// Linear history; numbers of commits that lost a race are skipped.
		var history []*Snapshot
		page := Page{Size: 7}
		for {
			s, next, err := e.ListSnapshots(ctx, "race", page)
			require.NoError(t, err)
			history = append(history, s...)
			if next == "" {
				break
			}
			page.Token = next
		}
		ds, err := e.GetDataset(ctx, "race")
		require.NoError(t, err)
		require.EqualValues(t, ds.SnapshotCount, len(history))
		require.Greater(t, len(snaps), 1, "the snapshotters committed something while writers ran")
		t.Logf("%d snapshots taken concurrently with 200 writes", len(snaps))
		for i, s := range history {
			if i > 0 {
				require.Less(t, s.Sequence, history[i-1].Sequence)
			}
			if i+1 < len(history) {
				require.Equal(t, history[i+1].ID, s.Parent, "v%d's parent", s.Sequence)
			} else {
				require.Empty(t, s.Parent)
			}
		}

		// Each concurrent snapshot holds every write that returned before the snapshot started, and trees are
		// well formed.
		trees := manifest.NewStore(store)
		for _, sn := range snaps {
			tr, err := trees.Load(ctx, sn.s.ManifestRoot)
			require.NoError(t, err)
			files, _ := tr.Stats()
			require.Equal(t, sn.s.Stats.FileCount, files)
			got := map[string]string{}
			it := tr.Scan("")
			prev := ""
			for ent, ok := it.Next(ctx); ok; ent, ok = it.Next(ctx) {
				require.Greater(t, ent.Path, prev)
				prev = ent.Path
				got[ent.Path] = ent.Digest
			}
			require.NoError(t, it.Err())
			require.EqualValues(t, len(got), files)
			for _, w := range writes {
				if w.at.Before(sn.started) {
					require.Equal(t, w.digest, got[w.path], "v%d lacks %s, written before it started", sn.s.Sequence, w.path)
				}
			}
		}
		// And files only accumulate along history (nothing ever dropped by a later snapshot).
		prevCount := int64(0)
		for i := len(history) - 1; i >= 0; i-- {
			require.GreaterOrEqual(t, history[i].Stats.FileCount, prevCount)
			prevCount = history[i].Stats.FileCount
		}
	})
}

func assertNoError(t *testing.T, err error, what string) bool {
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return false
	}
	return true
}

// TestSnapshotWritesFewChunks: after changing 10 of 5,000 files, a snapshot writes a few new leaves and a
// root, and shares every other leaf with its parent.
func TestSnapshotWritesFewChunks(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store)
		_, err := e.CreateDataset(ctx, "big", Metadata{})
		require.NoError(t, err)
		d, err := e.open(ctx, access.Reader, "name", "big")
		require.NoError(t, err)
		// Seed 5,000 entries as a restored tree (one draft-pointer swap; their digests need no content here).
		var seed []manifest.Change
		for i := range 5000 {
			seed = append(seed, manifest.Change{Path: fmt.Sprintf("shard-%02d/part-%05d.parquet", i%10, i), Entry: &manifest.Entry{
				Path: fmt.Sprintf("shard-%02d/part-%05d.parquet", i%10, i), Digest: digestOf(fmt.Sprint(i)), Size: int64(i),
				MediaType: "application/vnd.apache.parquet", ModTime: time.Unix(1, 0).UTC()}})
		}
		tree, err := e.trees.Empty().Apply(ctx, seed)
		require.NoError(t, err)
		root, _, err := tree.Save(ctx)
		require.NoError(t, err)
		_, err = d.resetDraft(ctx, root)
		require.NoError(t, err)
		s1, err := e.CreateSnapshot(ctx, "big", SnapshotOptions{Message: "base"})
		require.NoError(t, err)
		require.EqualValues(t, 5000, s1.Stats.FileCount)
		base, err := e.trees.Load(ctx, s1.ManifestRoot)
		require.NoError(t, err)
		leaves := len(base.Leaves())

		before := countKeys(t, store, manifest.ChunkPrefix)
		for i := range 10 {
			write(t, e, "big", fmt.Sprintf("shard-03/part-%05d.parquet", 3+10*(100+i)), fmt.Sprintf("changed %d", i))
		}
		s2, err := e.CreateSnapshot(ctx, "big", SnapshotOptions{Message: "ten"})
		require.NoError(t, err)
		written := countKeys(t, store, manifest.ChunkPrefix) - before
		t.Logf("5,000 files in %d leaves; changing 10 wrote %d chunk objects", leaves, written)
		require.LessOrEqual(t, written, 3, "one or two leaves and the root")
		next, err := e.trees.Load(ctx, s2.ManifestRoot)
		require.NoError(t, err)
		shared := 0
		for _, l := range next.Leaves() {
			for _, o := range base.Leaves() {
				if l.Digest == o.Digest {
					shared++
				}
			}
		}
		require.GreaterOrEqual(t, shared, leaves-2)
		diff, err := e.Diff(ctx, "big", DiffOptions{From: "v1", To: "v2"})
		require.NoError(t, err)
		require.EqualValues(t, 10, diff.Stats.Modified)
	})
}

func countKeys(t *testing.T, store blob.Store, prefix string) int {
	t.Helper()
	n, after := 0, ""
	for {
		p, err := store.List(context.Background(), blob.ListOptions{Prefix: prefix, StartAfter: after})
		require.NoError(t, err)
		n += len(p.Objects)
		if !p.More {
			return n
		}
		after = p.Objects[len(p.Objects)-1].Key
	}
}

// TestCreateOnlyRace: of 8 sidecars creating the same path create-only at once, exactly one wins; the
// others get ErrAlreadyExists, and the draft holds the winner's content.
func TestCreateOnlyRace(t *testing.T) {
	onSharedStores(t, func(t *testing.T, open func() blob.Store) {
		ctx := context.Background()
		_, err := New(open()).CreateDataset(ctx, "race", Metadata{})
		require.NoError(t, err)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			winner []string
			lost   int
		)
		for i := range 8 {
			e := New(open())
			wg.Go(func() {
				content := fmt.Sprintf("writer %d", i)
				_, err := e.WriteFile(ctx, "race", "config.json", strings.NewReader(content), WriteOptions{CreateOnly: true})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winner = append(winner, content)
				case errors.Is(err, apierr.ErrAlreadyExists):
					lost++
				default:
					t.Errorf("writer %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		require.Len(t, winner, 1)
		require.Equal(t, 7, lost)
		require.Equal(t, winner[0], read(t, New(open()), "race", "draft", "config.json"))
	})
}
