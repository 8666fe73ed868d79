package dataset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
)

// orphan stores content as a blob nothing refers to (written to a dataset that is then deleted) and ages it
// past the grace period.
func orphan(t *testing.T, e *Engine, contents ...string) {
	t.Helper()
	ctx := context.Background()
	_, err := e.CreateDataset(ctx, "orphanage", Metadata{})
	require.NoError(t, err)
	for i, c := range contents {
		write(t, e, "orphanage", fmt.Sprintf("f%04d", i), c)
	}
	require.NoError(t, e.DeleteDataset(ctx, "orphanage", ""))
	age()
}

// TestGCSweepDeletesAfterWriterRewrote forces the race the design is about: a sweep re-checks an old,
// unreferenced blob and decides to delete it; before the delete lands, a writer finds the blob, rewrites it
// (it is old) and starts waiting for the sweep; the delete then removes it. The writer must notice and write
// it again, so the file it reports written is readable.
func TestGCSweepDeletesAfterWriterRewrote(t *testing.T) {
	for _, withDigest := range []bool{false, true} {
		t.Run(fmt.Sprintf("expected_digest=%v", withDigest), func(t *testing.T) {
			onStores(t, func(t *testing.T, store blob.Store) {
				ctx := context.Background()
				content := "raced content"
				gc, w := gcEngine(store), gcEngine(store)
				_, err := w.CreateDataset(ctx, "d", Metadata{})
				require.NoError(t, err)
				orphan(t, gc, content)
				key := BlobKey(digestOf(content))

				rewrote := make(chan struct{})
				var attempts []int
				w.hookRewrite = func(k string, attempt int) {
					if k == key {
						attempts = append(attempts, attempt)
						if attempt == 0 {
							close(rewrote)
						}
					}
				}
				written := make(chan error, 1)
				gc.hookSweepDelete = func(k string) {
					if k != key {
						return
					}
					go func() {
						opts := WriteOptions{}
						if withDigest {
							opts.ExpectedDigest = digestOf(content)
						}
						_, err := w.WriteFile(ctx, "d", "f.txt", strings.NewReader(content), opts)
						written <- err
					}()
					<-rewrote // the writer's rewrite is in; now the sweep's delete lands on it
				}
				r, err := gc.CollectGarbage(ctx, GCOptions{Grace: testGrace})
				require.NoError(t, err)
				require.Equal(t, int64(1), r.Removed[GCBlobs].Objects)
				require.NoError(t, <-written)
				require.Equal(t, []int{0, 1}, attempts, "the writer saw the blob gone after the sweep and wrote it again")
				require.Equal(t, content, read(t, w, "d", DraftRef, "f.txt"))
			})
		})
	}
}

// TestGCRacesWriters: writers reusing old blobs that collections are collecting, a snapshotter, datasets
// created and deleted, branches created, written, merged, renamed and deleted, and collections in a loop, all at once with a short grace, each with an engine and
// store client of its own (as separate sidecars). Afterwards every file of every snapshot, tag and draft
// reads back with its digest (every branch's draft too).
// The race test's grace is longer than the other GC tests': its writers run while other test packages load
// the machine, and a write stalled for longer than the grace (less MinIO's one-second time resolution) breaks
// the documented assumption that one write takes less than the refresh age, not the collector.
const (
	raceRefresh = time.Second
	raceGrace   = 5 * time.Second
)

func TestGCRacesWriters(t *testing.T) {
	onSharedStores(t, func(t *testing.T, open func() blob.Store) {
		ctx := context.Background()
		var rewrites, again, collected, runs atomic.Int64
		newE := func() *Engine {
			e := New(open(), WithRefreshAge(raceRefresh))
			e.hookRewrite = func(_ string, attempt int) {
				if attempt == 0 {
					rewrites.Add(1)
				} else {
					again.Add(1)
				}
			}
			return e
		}
		pool := make([]string, 120)
		for i := range pool {
			pool[i] = fmt.Sprintf("pool blob %03d %s", i, strings.Repeat("x", i))
		}
		setup := newE()
		_, err := setup.CreateDataset(ctx, "live", Metadata{})
		require.NoError(t, err)
		orphan(t, setup, pool...)
		time.Sleep(raceGrace - testGrace) // orphan aged them past testGrace only

		var stopped atomic.Bool
		var wg sync.WaitGroup
		wg.Go(func() {
			e := newE()
			for !stopped.Load() {
				r, err := e.CollectGarbage(ctx, GCOptions{Grace: raceGrace})
				if !assertNoError(t, err, "collect") {
					return
				}
				runs.Add(1)
				collected.Add(r.Removed[GCBlobs].Objects)
			}
		})
		for w := range 3 {
			wg.Go(func() {
				e := newE()
				for i := 0; !stopped.Load(); i++ {
					content := pool[rand.IntN(len(pool))]
					opts := WriteOptions{}
					if i%2 == 0 {
						opts.ExpectedDigest = digestOf(content)
					}
					p := fmt.Sprintf("w%d/%02d", w, i%30)
					_, err := e.WriteFile(ctx, "live", p, strings.NewReader(content), opts)
					assertNoError(t, err, p)
					if i%9 == 0 {
						_ = e.DeleteFile(ctx, "live", p, false)
					}
				}
			})
		}
		wg.Go(func() {
			e := newE()
			for !stopped.Load() {
				_, err := e.CreateSnapshot(ctx, "live", SnapshotOptions{Message: "tick"})
				if !isCode(err, apierr.ErrFailedPrecondition) {
					assertNoError(t, err, "snapshot")
				}
				time.Sleep(30 * time.Millisecond)
			}
		})
		wg.Go(func() {
			e := newE()
			for i := 0; !stopped.Load(); i++ {
				id := fmt.Sprintf("churn%d", i)
				if _, err := e.CreateDataset(ctx, id, Metadata{}); !assertNoError(t, err, id) {
					return
				}
				for j := range 5 {
					_, err := e.WriteFile(ctx, id, fmt.Sprint(j), strings.NewReader(pool[rand.IntN(len(pool))]), WriteOptions{})
					assertNoError(t, err, id)
				}
				_, err := e.CreateSnapshot(ctx, id, SnapshotOptions{})
				assertNoError(t, err, id)
				if i%2 == 0 {
					assertNoError(t, e.DeleteDataset(ctx, id, ""), id)
				}
			}
		})
		wg.Go(func() { // branches: created, written, snapshotted, merged, renamed and deleted
			e := newE()
			for i := 0; !stopped.Load(); i++ {
				name := fmt.Sprintf("b%d", i)
				if _, err := e.CreateBranch(ctx, "live", name, "", ""); !assertNoError(t, err, name) {
					return
				}
				for j := range 4 {
					_, err := e.WriteFile(ctx, "live@"+name, fmt.Sprintf("b/%d", j), strings.NewReader(pool[rand.IntN(len(pool))]), WriteOptions{})
					assertNoError(t, err, name)
				}
				_, err := e.CreateSnapshot(ctx, "live@"+name, SnapshotOptions{})
				assertNoError(t, err, name)
				if i%3 == 0 {
					_, err = e.MergeBranch(ctx, "live", name, "", MergeOptions{Strategy: MergeTheirs})
					if !isCode(err, apierr.ErrAborted) {
						assertNoError(t, err, "merge "+name)
					}
				}
				if i%2 == 0 {
					_, err = e.RenameBranch(ctx, "live", name, "renamed-"+name)
					assertNoError(t, err, "rename "+name)
				} else {
					assertNoError(t, e.DeleteBranch(ctx, "live", name), "delete "+name)
				}
			}
		})
		time.Sleep(3 * raceGrace)
		stopped.Store(true)
		wg.Wait()
		t.Logf("%d collections removed %d blobs; writers rewrote %d old blobs, %d of them again after a sweep took them",
			runs.Load(), collected.Load(), rewrites.Load(), again.Load())
		require.Positive(t, collected.Load(), "collections must have removed blobs while writers ran")
		require.Positive(t, rewrites.Load(), "writers must have reused old blobs")

		e := newE()
		_, err = e.CollectGarbage(ctx, GCOptions{Grace: raceGrace})
		require.NoError(t, err)
		require.Positive(t, readEverything(t, e))
	})
}

// TestGCSweepDeletesChunkAfterSnapshotRewrote is the same race for manifest chunks: a snapshot builds a leaf
// and root identical to those of a deleted dataset (same paths, content and times), finds them stored and
// old, rewrites them, and a sweep that had already re-checked one deletes it. The snapshot must write it again
// and stay readable.
func TestGCSweepDeletesChunkAfterSnapshotRewrote(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		clock := WithClock(func() time.Time { return at })
		gc, w := New(store, WithRefreshAge(testRefresh), clock), New(store, WithRefreshAge(testRefresh), clock)
		build := func(id string) {
			_, err := w.CreateDataset(ctx, id, Metadata{})
			require.NoError(t, err)
			write(t, w, id, "a.csv", "same content")
		}
		build("first")
		s, err := w.CreateSnapshot(ctx, "first", SnapshotOptions{})
		require.NoError(t, err)
		require.NoError(t, w.DeleteDataset(ctx, "first", ""))
		rootKey, err := manifest.ChunkKey(s.ManifestRoot)
		require.NoError(t, err)
		build("second") // its draft entry refers to the blob, so only the chunks are garbage
		age()

		// The tree has two chunks, a leaf and the root, and the sweep may delete them in either order. The race is
		// staged on whichever it deletes last: then the snapshot finds the other one gone (and writes it anew) and
		// this one old (and rewrites it), instead of rewriting a chunk the sweep has not reached and waiting for
		// this very sweep to end.
		rewrote := make(chan struct{})
		var mu sync.Mutex
		var attempts []int
		var target string
		w.hookRewrite = func(k string, attempt int) {
			mu.Lock()
			defer mu.Unlock()
			if k == target {
				attempts = append(attempts, attempt)
				if attempt == 0 {
					close(rewrote)
				}
			}
		}
		done := make(chan error, 1)
		var chunksSeen int
		gc.hookSweepDelete = func(k string) {
			if !strings.HasPrefix(k, "chunks/") {
				return
			}
			if chunksSeen++; chunksSeen < 2 {
				return
			}
			mu.Lock()
			target = k
			mu.Unlock()
			go func() {
				s2, err := w.CreateSnapshot(ctx, "second", SnapshotOptions{})
				if err == nil && s2.ManifestRoot != s.ManifestRoot {
					err = fmt.Errorf("the trees differ (%s, %s): the test builds nothing to reuse", s2.ManifestRoot, s.ManifestRoot)
				}
				done <- err
			}()
			select {
			case <-rewrote:
			case <-time.After(time.Minute): // a rewrite waiting for this very sweep: fail, not hang
				t.Error("the snapshot did not rewrite the chunk the sweep deletes last")
			}
		}
		r, err := gc.CollectGarbage(ctx, GCOptions{Grace: testGrace})
		require.NoError(t, err)
		require.Equal(t, int64(2), r.Removed[GCChunks].Objects, "the deleted dataset's leaf and root")
		require.NoError(t, <-done)
		mu.Lock()
		defer mu.Unlock()
		_, err = store.Stat(ctx, rootKey)
		require.NoError(t, err, "the new snapshot's root, the same as the deleted dataset's, is stored")
		require.Equal(t, []int{0, 1}, attempts, "the snapshot saw the chunk gone after the sweep and wrote it again")
		require.Equal(t, "same content", read(t, w, "second", "v1", "a.csv"))
		require.Positive(t, readEverything(t, w))
	})
}
