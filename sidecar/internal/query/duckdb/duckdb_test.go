package duckdb_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/blob"
	blobfs "github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/query/duckdb"
	"github.com/kamld/kamld/sidecar/internal/query/sqltest"
	"github.com/kamld/kamld/sidecar/internal/tabular"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
)

func harness(t testing.TB, store blob.Store) sqltest.Harness {
	loc, err := tabular.NewLocator(store, filepath.Join(t.TempDir(), "cache"), 0)
	require.NoError(t, err)
	db, err := tabular.OpenDuckDB(context.Background(), tabular.DuckOptions{ReadDirs: loc.Dirs(), MemoryLimit: "512MB", Threads: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return sqltest.Harness{Store: store, Engine: duckdb.New(db, loc)}
}

func TestConformanceOnFS(t *testing.T) {
	sqltest.Run(t, func(t *testing.T) sqltest.Harness {
		s, err := blobfs.New(t.TempDir(), blobfs.WithFsync(false))
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return harness(t, s)
	})
}

func TestConformanceOnMinIO(t *testing.T) {
	sqltest.Run(t, func(t *testing.T) sqltest.Harness {
		srv := minio.Start(t)
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := s3.New(ctx, s3.Config{Endpoint: srv.Endpoint, Bucket: "sql-" + hex.EncodeToString(b), AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return harness(t, s)
	})
}
