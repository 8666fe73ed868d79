package duckdb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	blobfs "github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/duckdb"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
)

func checked(t *testing.T, sql string) *guard.Statement {
	t.Helper()
	st, err := guard.New().Check(sql)
	require.NoError(t, err)
	return st
}

// ExportParquet writes the result under the engine's exports directory, counts one row more than MaxRows
// at most, and release removes the file.
func TestExportParquet(t *testing.T) {
	ctx := context.Background()
	store, err := blobfs.New(t.TempDir(), blobfs.WithFsync(false))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	cache := t.TempDir()
	e, err := duckdb.Open(ctx, store, cache, config.DuckDB{MemoryLimit: "256MB"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })

	path, rows, release, err := e.ExportParquet(ctx, query.Request{ID: "x", Statement: checked(t, "SELECT range AS i, 'a' AS s FROM range(5)")})
	require.NoError(t, err)
	require.EqualValues(t, 5, rows)
	require.Equal(t, filepath.Join(cache, "exports"), filepath.Dir(path))
	head, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "PAR1", string(head[:4]))
	release()
	release()
	require.NoFileExists(t, path)

	_, rows, release, err = e.ExportParquet(ctx, query.Request{ID: "y", Statement: checked(t, "SELECT * FROM range(100)"), MaxRows: 10})
	require.NoError(t, err)
	require.EqualValues(t, 11, rows, "one row past the limit tells the caller the result is longer")
	release()

	_, _, _, err = e.ExportParquet(ctx, query.Request{ID: "z", Statement: checked(t, `DESCRIBE "iris@v1".iris`)})
	var se *query.SQLError
	require.ErrorAs(t, err, &se)
	_, _, _, err = e.ExportParquet(ctx, query.Request{ID: "w", Statement: checked(t, "SELECT nope")})
	require.ErrorAs(t, err, &se)
	entries, err := os.ReadDir(filepath.Join(cache, "exports"))
	require.NoError(t, err)
	require.Empty(t, entries, "nothing left behind")
}

// An engine over a database it did not open has nowhere to write.
func TestExportParquetWithoutExportsDir(t *testing.T) {
	store, err := blobfs.New(t.TempDir(), blobfs.WithFsync(false))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	h := harness(t, store)
	x, ok := h.Engine.(query.Exporter)
	require.True(t, ok)
	_, _, _, err = x.ExportParquet(context.Background(), query.Request{ID: "x", Statement: checked(t, "SELECT 1")})
	require.ErrorIs(t, err, apierr.ErrFailedPrecondition)
}
