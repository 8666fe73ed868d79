package duckdb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	blobfs "github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/query/duckdb"
	"github.com/kamld/kamld/sidecar/internal/query/sqltest"
)

// TestEngineStartsOnFirstQueryAndStopsWhenIdle: the engine is healthy before DuckDB opens, opens with the first
// query, and closes once idle_close passes without one; the next query reopens it with the same answer.
func TestEngineStartsOnFirstQueryAndStopsWhenIdle(t *testing.T) {
	ctx := context.Background()
	store, err := blobfs.New(t.TempDir(), blobfs.WithFsync(false))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	eng, err := duckdb.Open(ctx, store, filepath.Join(t.TempDir(), "duck"), config.DuckDB{MemoryLimit: "256MB", IdleClose: 200 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	assert.False(t, eng.Started(), "nothing opens before the first query")
	require.NoError(t, eng.Health(ctx), "an engine not started is healthy")
	assert.False(t, eng.Started(), "a health check does not start it")

	srv := sqltest.Serve(t, sqltest.Harness{Store: store, Engine: eng})
	_, err = srv.Datasets.CreateDataset(ctx, "lazy", dataset.Metadata{})
	require.NoError(t, err)
	_, err = srv.Datasets.WriteFile(ctx, "lazy", "t.csv", strings.NewReader("a,b\n1,x\n2,y\n"), dataset.WriteOptions{})
	require.NoError(t, err)
	_, err = srv.Datasets.CreateSnapshot(ctx, "lazy", dataset.SnapshotOptions{Message: "one table"})
	require.NoError(t, err)

	count := func() string {
		stream, err := srv.Client.ExecuteQuery(ctx, &kamldv1.ExecuteQueryRequest{Sql: "SELECT count(*) AS n FROM lazy.t"})
		require.NoError(t, err)
		var out []string
		for {
			msg, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			for _, r := range msg.GetBatch().GetRows() {
				out = append(out, fmt.Sprint(r.GetValues()[0].AsInterface()))
			}
		}
		return strings.Join(out, ",")
	}
	first := count()
	require.Equal(t, "2", first)
	assert.True(t, eng.Started(), "the first query opened DuckDB")
	require.NoError(t, eng.Health(ctx))
	require.Eventually(t, func() bool { return !eng.Started() }, 10*time.Second, 20*time.Millisecond, "closed after idle_close")
	assert.Equal(t, first, count(), "a query after the close reopens it with the same answer")
}
