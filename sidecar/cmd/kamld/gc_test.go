package main

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/blob"
	blobfs "github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
	"github.com/kamld/kamld/sidecar/internal/wiring"
)

// gcFixture writes, through the engine as a sidecar would, a dataset that stays and one that is deleted.
func gcFixture(t *testing.T, store blob.Store) {
	t.Helper()
	ctx := context.Background()
	e := dataset.New(store)
	for _, id := range []string{"keep", "gone"} {
		_, err := e.CreateDataset(ctx, id, dataset.Metadata{})
		require.NoError(t, err)
		_, err = e.WriteFile(ctx, id, "data.csv", strings.NewReader("a,b\n1,2\n"+id+"\n"), dataset.WriteOptions{})
		require.NoError(t, err)
		_, err = e.CreateSnapshot(ctx, id, dataset.SnapshotOptions{Message: "first"})
		require.NoError(t, err)
	}
	require.NoError(t, e.DeleteDataset(ctx, "gone", ""))
}

// TestGCCommand runs `kamld gc` on an fs store whose objects are two hours old (their times set back, as if
// written then): the dry run reports and deletes nothing, the real run deletes the deleted dataset's blob and
// chunks, and the live dataset still reads back.
func TestGCCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	store, err := blobfs.New(dir)
	require.NoError(t, err)
	gcFixture(t, store)
	require.NoError(t, store.Close())
	old := time.Now().Add(-2 * time.Hour)
	require.NoError(t, filepath.WalkDir(filepath.Join(dir, "objects"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			err = os.Chtimes(p, old, old)
		}
		return err
	}))
	flags := []string{"--data-dir", filepath.Dir(dir), "--blob-fs-dir", dir}

	out := must(t, flags, "gc", "--dry-run")
	assert.Contains(t, out, "fs store "+dir)
	assert.Regexp(t, `blobs\s+1\s+13 B`, out)
	assert.Contains(t, out, "dry run: nothing was deleted")
	table := func(out string) string { _, rest, _ := strings.Cut(out, "\n"); return rest } // past the time line
	assert.Equal(t, table(out), table(must(t, flags, "gc", "--dry-run")), "a dry run changes nothing")

	out = must(t, flags, "gc", "--grace", "90m")
	assert.Regexp(t, `blobs\s+1\s+13 B\s+0\s+1 \(13 B\)`, out)
	assert.Regexp(t, `chunks\s+2\s`, out)
	assert.NotContains(t, out, "dry run")
	out = must(t, flags, "gc", "--dry-run")
	assert.Contains(t, out, "would remove 0 objects")

	store, err = blobfs.New(dir)
	require.NoError(t, err)
	defer store.Close()
	rc, _, err := dataset.New(store).OpenFile(context.Background(), "keep", "v1", "data.csv", 0, 0)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, "a,b\n1,2\nkeep\n", string(b))

	_, err = kamld(t, flags, "gc", "--grace", "5m")
	assert.ErrorContains(t, err, "grace")
	assert.ErrorContains(t, err, "too short")
}

// TestGCCommandOnMinIO runs `kamld gc` against a real MinIO configured as `kamld serve` would be (secret key
// from the environment): everything is younger than the grace, so it is counted and kept.
func TestGCCommandOnMinIO(t *testing.T) {
	srv := minio.Start(t)
	t.Setenv("KAMLD_BLOB_S3_SECRET_KEY", srv.SecretKey)
	flags := []string{"--data-dir", t.TempDir(), "--blob-backend", "s3", "--blob-s3-endpoint", srv.Endpoint,
		"--blob-s3-access-key", srv.AccessKey, "--blob-s3-bucket", "gc-cli"}
	must(t, flags, "gc", "--dry-run") // creates the bucket, as serve would
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, err := s3.New(ctx, s3.Config{Endpoint: srv.Endpoint, Bucket: "gc-cli", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	require.NoError(t, err)
	defer store.Close()
	gcFixture(t, store)

	out := must(t, flags, "gc")
	assert.Contains(t, out, "s3 store")
	assert.Regexp(t, `blobs\s+0\s+0 B\s+1\s+1 \(13 B\)`, out)
	assert.Contains(t, out, "removed 0 objects")
}

// TestGCBesideAServingSidecar: collection works while a sidecar holds the data directory's bleve index open
// (the default index): it opens the blob store alone.
func TestGCBesideAServingSidecar(t *testing.T) {
	dataDir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir, cfg.Blob.FS.Dir = dataDir, filepath.Join(dataDir, "store")
	require.Equal(t, "bleve", cfg.Index.Backend)
	serving, err := wiring.Build(cfg) // as kamld serve holds them: the index is open, and locked
	require.NoError(t, err)
	defer serving.Close()
	out := must(t, []string{"--data-dir", dataDir, "--blob-fs-dir", cfg.Blob.FS.Dir}, "gc", "--dry-run")
	assert.Contains(t, out, "dry run: nothing was deleted")
}

// TestGCRemovesAbandonedTempFiles: the temporary files of writes a killed sidecar left in the fs store's tmp/
// are reported by a dry run and removed by a real one once older than the grace; young ones stay.
func TestGCRemovesAbandonedTempFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	store, err := blobfs.New(dir)
	require.NoError(t, err)
	require.NoError(t, store.Close())
	tmp := filepath.Join(dir, "tmp")
	old, young := filepath.Join(tmp, "put-111"), filepath.Join(tmp, "put-222")
	require.NoError(t, os.WriteFile(old, make([]byte, 3000), 0o600))
	require.NoError(t, os.WriteFile(young, make([]byte, 500), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(tmp, "move-333"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "move-333", "x"), make([]byte, 1000), 0o600))
	then := time.Now().Add(-2 * time.Hour)
	for _, p := range []string{old, filepath.Join(tmp, "move-333")} {
		require.NoError(t, os.Chtimes(p, then, then))
	}
	flags := []string{"--data-dir", filepath.Dir(dir), "--blob-fs-dir", dir}

	out := must(t, flags, "gc", "--dry-run")
	assert.Regexp(t, `temp\s+2\s+3\.9 KiB\s+1\s`, out)
	assert.FileExists(t, old, "a dry run removes nothing")
	out = must(t, flags, "gc")
	assert.Regexp(t, `temp\s+2\s+3\.9 KiB\s+1\s`, out)
	assert.NoFileExists(t, old)
	assert.NoDirExists(t, filepath.Join(tmp, "move-333"))
	assert.FileExists(t, young, "a write younger than the grace may be in flight")
}
