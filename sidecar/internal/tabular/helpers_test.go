package tabular_test

// Tests run on the fs store and on a real MinIO (never a mock); MinIO needs the pinned binary
// (scripts/install-minio.sh, or KAMLD_MINIO_BIN) and these tests fail without it.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/datasets"
	"github.com/kamld/kamld/sidecar/internal/blob"
	blobfs "github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/tabular"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
)

type env struct {
	engine  *dataset.Engine
	catalog *tabular.Catalog
	loc     *tabular.Locator
}

func newEnv(t *testing.T, store blob.Store, opts ...tabular.CatalogOption) *env {
	t.Helper()
	ctx := context.Background()
	loc, err := tabular.NewLocator(store, filepath.Join(t.TempDir(), "cache"), 0)
	require.NoError(t, err)
	db, err := tabular.OpenDuckDB(ctx, tabular.DuckOptions{ReadDirs: loc.Dirs(), MemoryLimit: "512MB", Threads: 1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	eng := dataset.New(store)
	return &env{engine: eng, loc: loc, catalog: tabular.NewCatalog(eng, tabular.NewExtractor(db, loc), opts...)}
}

// onStores runs fn on a fresh fs store and on a fresh bucket of a real MinIO.
func onStores(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Run("fs", func(t *testing.T) {
		s, err := blobfs.New(t.TempDir(), blobfs.WithFsync(false))
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		fn(t, newEnv(t, s))
	})
	t.Run("minio", func(t *testing.T) {
		srv := minio.Start(t)
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := s3.New(ctx, s3.Config{Endpoint: srv.Endpoint, Bucket: "tab-" + hex.EncodeToString(b), AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		fn(t, newEnv(t, s))
	})
}

// sample reads a file of the embedded sample datasets.
func sample(t *testing.T, p string) string {
	t.Helper()
	b, err := fs.ReadFile(datasets.FS, p)
	require.NoError(t, err)
	return string(b)
}

func write(t *testing.T, e *env, id, p, content string) {
	t.Helper()
	_, err := e.engine.WriteFile(context.Background(), id, p, strings.NewReader(content), dataset.WriteOptions{})
	require.NoError(t, err)
}

func snapshot(t *testing.T, e *env, id string) *dataset.Snapshot {
	t.Helper()
	s, err := e.engine.CreateSnapshot(context.Background(), id, dataset.SnapshotOptions{Message: "test"})
	require.NoError(t, err)
	return s
}

func create(t *testing.T, e *env, id string) {
	t.Helper()
	_, err := e.engine.CreateDataset(context.Background(), id, dataset.Metadata{})
	require.NoError(t, err)
}
