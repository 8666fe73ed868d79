package dataset

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
)

// BenchmarkGC: one collection over a dataset of 10,000 files (real blobs) with 10 snapshots, sweeping 1,000
// unreferenced blobs each time — on fs (fsync off: the engine's cost, not the disk's) and on a real MinIO.
// Reports the time of one collection and the rate at which it removes garbage.
//
//	go test -run '^$' -bench GC -benchtime 3x ./sidecar/internal/dataset/
func BenchmarkGC(b *testing.B) {
	const files, garbage = 10_000, 1_000
	for _, st := range []string{"fs", "minio"} {
		b.Run(fmt.Sprintf("store=%s/files=%d/garbage=%d", st, files, garbage), func(b *testing.B) {
			var store blob.Store
			if st == "fs" {
				store = newFS(b, b.TempDir())
			} else {
				store = newS3(b, minio.Start(b))
			}
			e := New(store, WithRefreshAge(time.Millisecond))
			ctx := context.Background()
			gcBenchDataset(b, e, files)
			var dry time.Duration // mark and list only: the sweep is the rest
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				keys := make([]string, garbage)
				for j := range keys {
					keys[j] = BlobKey(digestOf(fmt.Sprintf("garbage %d %d", i, j)))
				}
				parallel(len(keys), func(j int) {
					_, err := store.Put(ctx, keys[j], strings.NewReader("garbage"), blob.PutOptions{})
					require.NoError(b, err)
				})
				time.Sleep(1100 * time.Millisecond) // older than the grace, in MinIO's one-second clock too
				t0 := time.Now()
				_, err := e.CollectGarbage(ctx, GCOptions{Grace: 10 * time.Millisecond, DryRun: true})
				require.NoError(b, err)
				dry += time.Since(t0)
				b.StartTimer()
				r, err := e.CollectGarbage(ctx, GCOptions{Grace: 10 * time.Millisecond})
				require.NoError(b, err)
				require.Equal(b, int64(garbage), r.Removed[GCBlobs].Objects)
				require.Equal(b, int64(files+10), r.InUse[GCBlobs].Objects)
			}
			b.ReportMetric(float64(garbage*b.N)/b.Elapsed().Seconds(), "removed/s")
			b.ReportMetric(dry.Seconds()/float64(b.N), "s/dry-run")
		})
	}
}

// gcBenchDataset stores n small blobs and a dataset naming them all, then 10 snapshots of one new file each.
func gcBenchDataset(b *testing.B, e *Engine, n int) {
	ctx := context.Background()
	_, err := e.CreateDataset(ctx, "bench", Metadata{})
	require.NoError(b, err)
	changes := make([]manifest.Change, n)
	parallel(n, func(i int) {
		p := fmt.Sprintf("part-%06d.csv", i)
		_, err := e.blobs.Put(ctx, BlobKey(digestOf(p)), strings.NewReader(p), blob.PutOptions{})
		require.NoError(b, err)
		changes[i] = manifest.Change{Path: p, Entry: &manifest.Entry{Path: p, Digest: digestOf(p), Size: int64(len(p)), MediaType: "text/csv", ModTime: time.Unix(1, 0).UTC()}}
	})
	tree, err := e.trees.Empty().Apply(ctx, changes)
	require.NoError(b, err)
	root, _, err := tree.Save(ctx)
	require.NoError(b, err)
	d, err := e.open(ctx, access.Reader, "name", "bench")
	require.NoError(b, err)
	_, err = d.resetDraft(ctx, root)
	require.NoError(b, err)
	for i := range 10 {
		_, err := e.WriteFile(ctx, "bench", fmt.Sprintf("new-%d.csv", i), strings.NewReader(fmt.Sprint(i)), WriteOptions{})
		require.NoError(b, err)
		_, err = e.CreateSnapshot(ctx, "bench", SnapshotOptions{})
		require.NoError(b, err)
	}
}
