package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// Garbage collection tests use a short refresh age and grace so objects age in seconds. On MinIO object
// times have one-second resolution, so the grace is a few seconds, not milliseconds.
const (
	testRefresh = 400 * time.Millisecond
	testGrace   = 2 * time.Second
)

func gcEngine(store blob.Store) *Engine { return New(store, WithRefreshAge(testRefresh)) }

// age waits until everything written so far is older than the grace period, in the store's clock too.
func age() { time.Sleep(testGrace + 1500*time.Millisecond) }

// storeKeys lists every object with its version.
func storeKeys(t *testing.T, s blob.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	e := New(s)
	require.NoError(t, e.eachKey(context.Background(), "", func(o blob.Info) error {
		out[o.Key] = o.Version
		return nil
	}))
	return out
}

// readEverything reads every file of every snapshot, tag and the draft of every live dataset, checks each
// against its digest and size, and returns how many files it read.
func readEverything(t *testing.T, e *Engine) int {
	t.Helper()
	ctx := context.Background()
	dss, _, err := e.ListDatasets(ctx, Page{Size: MaxPageSize})
	require.NoError(t, err)
	n := 0
	for _, d := range dss {
		refs := []string{DraftRef}
		h, err := e.open(ctx, access.Reader, "name", d.ID)
		require.NoError(t, err)
		require.NoError(t, e.eachKey(ctx, h.keys.root+"seq/", func(o blob.Info) error {
			var rec snapRecord
			_, err := getJSON(ctx, e.blobs, o.Key, &rec)
			refs = append(refs, rec.Version())
			return err
		}))
		branches, _, err := e.ListBranches(ctx, d.ID, Page{Size: MaxPageSize})
		require.NoError(t, err)
		for _, b := range branches {
			if !b.Default { // DraftRef read it
				refs = append(refs, b.Name+"~draft")
			}
		}
		tags, _, err := e.ListTags(ctx, d.ID, Page{Size: MaxPageSize})
		require.NoError(t, err)
		for _, tg := range tags {
			refs = append(refs, tg.ID)
		}
		for _, ref := range refs {
			n += readRef(t, e, d.ID, ref)
		}
	}
	return n
}

func readRef(t *testing.T, e *Engine, id, ref string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	page := Page{Size: MaxPageSize}
	for {
		l, err := e.ListFiles(ctx, id, ref, ListFilesOptions{Recursive: true, Page: page})
		require.NoError(t, err, "%s@%s", id, ref)
		for _, f := range l.Files {
			rc, _, err := e.OpenFile(ctx, id, ref, f.Path, 0, 0)
			require.NoError(t, err, "%s@%s/%s", id, ref, f.Path)
			h := sha256.New()
			size, err := io.Copy(h, rc)
			_ = rc.Close()
			require.NoError(t, err, "%s@%s/%s", id, ref, f.Path)
			require.Equal(t, f.Digest, "sha256:"+hex.EncodeToString(h.Sum(nil)), "%s@%s/%s", id, ref, f.Path)
			require.Equal(t, f.Size, size)
			n++
		}
		if l.NextToken == "" {
			return n
		}
		page.Token = l.NextToken
	}
}

// gcFixture builds a store with live data in every form (snapshots, a tag, a restored draft, draft changes,
// a branch's draft)
// and garbage of every kind, all older than the grace period, then one young staging object. It returns the
// blob keys that must be collected.
func gcFixture(t *testing.T, e *Engine) (garbageBlobs []string) {
	t.Helper()
	ctx := context.Background()
	must := func(_ any, err error) { t.Helper(); require.NoError(t, err) }
	snap := func(id, msg string) {
		t.Helper()
		_, err := e.CreateSnapshot(ctx, id, SnapshotOptions{Message: msg})
		require.NoError(t, err)
	}

	must(e.CreateDataset(ctx, "keep", Metadata{}))
	write(t, e, "keep", "a.csv", "never snapshotted")
	garbageBlobs = append(garbageBlobs, BlobKey(digestOf("never snapshotted")))
	write(t, e, "keep", "a.csv", "a v1")
	write(t, e, "keep", "b.csv", "b v1")
	snap("keep", "one")
	write(t, e, "keep", "a.csv", "a v2")
	snap("keep", "two")
	must(e.CreateTag(ctx, "keep", "first", "v1", "ada", false))
	write(t, e, "keep", "c.csv", "c in the draft only")
	require.NoError(t, e.DeleteFile(ctx, "keep", "b.csv", false))
	// A live branch's draft is kept; a deleted branch's is garbage.
	must(e.CreateBranch(ctx, "keep", "exp", "v2", ""))
	write(t, e, "keep@exp", "e.txt", "in exp's draft only")
	must(e.CreateBranch(ctx, "keep", "dead", "v2", ""))
	write(t, e, "keep@dead", "e.txt", "in a deleted branch's draft only")
	require.NoError(t, e.DeleteBranch(ctx, "keep", "dead"))
	garbageBlobs = append(garbageBlobs, BlobKey(digestOf("in a deleted branch's draft only")))

	must(e.CreateDataset(ctx, "restored", Metadata{}))
	write(t, e, "restored", "x.txt", "restored v1")
	snap("restored", "one")
	write(t, e, "restored", "x.txt", "restored v2")
	snap("restored", "two")
	must(e.Restore(ctx, "restored", "v1"))
	write(t, e, "restored", "y.txt", "after the restore")

	must(e.CreateDataset(ctx, "gone", Metadata{}))
	write(t, e, "gone", "only-here.txt", "content only gone had")
	write(t, e, "gone", "shared.txt", "a v1") // also in keep: must stay
	snap("gone", "one")
	require.NoError(t, e.DeleteDataset(ctx, "gone", ""))
	garbageBlobs = append(garbageBlobs, BlobKey(digestOf("content only gone had")))

	// What crashes leave: a staging object, a stale presigned upload, an object of a deleted incarnation
	// that its deletion did not get to.
	for _, k := range []string{uploadPrefix + "0123456789abcdef01234567", presignPrefix + "feedfacefeedfacefeedface/data",
		"datasets/gone/0000000000000000deadbeef/seq/00000000000000000001"} {
		_, err := e.blobs.Put(ctx, k, strings.NewReader("left behind"), blob.PutOptions{})
		require.NoError(t, err)
	}
	age()
	_, err := e.blobs.Put(ctx, uploadPrefix+"young", strings.NewReader("an ingest in flight"), blob.PutOptions{})
	require.NoError(t, err)
	return garbageBlobs
}

// TestGCCollectsOnlyGarbage: a dry run changes nothing and predicts the real run exactly; the real run
// removes the unreferenced objects older than the grace period and nothing else: every file of every
// snapshot, tag and draft reads back with its digest; a second run finds nothing left.
func TestGCCollectsOnlyGarbage(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := gcEngine(store)
		garbage := gcFixture(t, e)
		readBefore := readEverything(t, e)
		require.Equal(t, 2+2+1+1+2+2+2+3, readBefore) // keep: draft 2, v1 2, v2 2, first 2, exp~draft 3; restored: draft 2, v1 1, v2 1

		before := storeKeys(t, store)
		dry, err := e.CollectGarbage(ctx, GCOptions{Grace: testGrace, DryRun: true})
		require.NoError(t, err)
		require.Equal(t, before, storeKeys(t, store), "a dry run must not change the store")
		for _, k := range garbage {
			require.Contains(t, before, k)
		}

		r, err := e.CollectGarbage(ctx, GCOptions{Grace: testGrace})
		require.NoError(t, err)
		require.Equal(t, dry.Removed, r.Removed, "the dry run predicts the real one")
		after := storeKeys(t, store)
		for _, k := range garbage {
			require.NotContains(t, after, k)
		}
		assert.Equal(t, GCCount{Objects: 3, Bytes: int64(len("never snapshotted") + len("content only gone had") + len("in a deleted branch's draft only"))}, r.Removed[GCBlobs])
		assert.Equal(t, int64(2), r.Removed[GCUploads].Objects) // the staging object and the presigned upload
		assert.Equal(t, int64(1), r.Young[GCUploads].Objects)   // the young one stays
		assert.Contains(t, after, uploadPrefix+"young")
		assert.Equal(t, int64(1), r.Removed[GCDatasets].Objects)
		assert.GreaterOrEqual(t, r.Removed[GCChunks].Objects, int64(2)) // gone's root and leaf at least
		assert.Positive(t, r.Removed[GCDraft].Objects)                  // entries of generations snapshots covered
		assert.Zero(t, r.Removed[GCMarkers].Objects)
		for k := range after {
			assert.False(t, strings.HasPrefix(k, gcPrefix), "leftover %s", k)
		}

		// Everything referenced is there; everything left under blobs/ is in use.
		require.Equal(t, readBefore, readEverything(t, e))
		blobs := 0
		for k := range after {
			if strings.HasPrefix(k, blobPrefix) {
				blobs++
			}
		}
		assert.Equal(t, int64(blobs), r.InUse[GCBlobs].Objects)

		// Writing and snapshotting go on as before, with content that was collected coming back.
		write(t, e, "keep", "again.txt", "content only gone had")
		_, err = e.CreateSnapshot(ctx, "keep", SnapshotOptions{Message: "three"})
		require.NoError(t, err)
		require.Equal(t, "content only gone had", read(t, e, "keep", "v3", "again.txt"))

		r, err = e.CollectGarbage(ctx, GCOptions{Grace: testGrace})
		require.NoError(t, err)
		assert.Zero(t, r.Removed[GCBlobs].Objects, "second run")
		assert.Zero(t, r.Removed[GCChunks].Objects, "second run")
		require.Equal(t, readBefore+4, readEverything(t, e)) // + again.txt in the draft, and v3's three files
	})
}

// backdate sets an fs store object's time d into the past, as if it had been written then.
func backdate(t *testing.T, dir, key string, d time.Duration) {
	t.Helper()
	when := time.Now().Add(-d)
	require.NoError(t, os.Chtimes(filepath.Join(dir, "objects", filepath.FromSlash(key)), when, when))
}

func TestGCRefusesAShortGrace(t *testing.T) {
	e := New(newFS(t, t.TempDir()))
	_, err := e.CollectGarbage(context.Background(), GCOptions{Grace: time.Minute})
	requireInvalid(t, err, "grace")
	require.ErrorContains(t, err, "20m0s")
}

// TestGCStaleMarkerIsCollected: a sweep marker left by a collection that died stops blocking writers after
// sweepStale and is removed by the next collection; a fresh one is left alone.
func TestGCStaleMarkerIsCollected(t *testing.T) {
	dir := t.TempDir()
	store := newFS(t, dir)
	e := gcEngine(store)
	ctx := context.Background()
	_, err := store.Put(ctx, sweepPrefix+"dead-000000", strings.NewReader("x"), blob.PutOptions{})
	require.NoError(t, err)
	live, err := e.liveSweeps(ctx)
	require.NoError(t, err)
	require.True(t, live)
	backdate(t, dir, sweepPrefix+"dead-000000", sweepStale+time.Minute)
	live, err = e.liveSweeps(ctx)
	require.NoError(t, err)
	require.False(t, live)
	r, err := e.CollectGarbage(ctx, GCOptions{Grace: testGrace})
	require.NoError(t, err)
	require.Equal(t, int64(1), r.Removed[GCMarkers].Objects)
	_, err = store.Stat(ctx, sweepPrefix+"dead-000000")
	require.ErrorIs(t, err, apierr.ErrNotFound)
}
