package duckdb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	blobfs "github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/query/sqltest"
)

const benchRows = 1_000_000

// BenchmarkQueries1M measures, through the real QueryService (gRPC), a scan, a filter and a group-by over one
// generated table of 1,000,000 rows stored as CSV and as Parquet in a dataset on the local store: time to the
// first batch and to the whole result. Run: go test -run '^$' -bench Queries1M -benchtime 1x ./sidecar/internal/query/duckdb/
func BenchmarkQueries1M(b *testing.B) {
	srv := benchDataset(b, map[string]string{
		"t_csv.csv":         sqltest.BenchTable(b, "csv", benchRows),
		"t_parquet.parquet": sqltest.BenchTable(b, "parquet", benchRows),
	})
	ctx := context.Background()
	start := time.Now()
	_, err := srv.Client.ListTables(ctx, &kamldv1.ListTablesRequest{Dataset: "datasets/bench"})
	require.NoError(b, err)
	b.Logf("schema and statistics extraction of both files: %s", time.Since(start).Round(time.Millisecond))

	for _, f := range []string{"csv", "parquet"} {
		for _, q := range []struct{ name, sql string }{
			{"scan", "SELECT * FROM bench.t_%s"},
			{"filter", "SELECT * FROM bench.t_%s WHERE grp = 7"},
			{"groupby", "SELECT grp, count(*) AS n, avg(value) AS mean FROM bench.t_%s GROUP BY grp"},
		} {
			b.Run(f+"/"+q.name, func(b *testing.B) {
				var first, total time.Duration
				var rows int64
				for range b.N {
					first, total, rows = timeQuery(b, srv.Client, fmt.Sprintf(q.sql, f))
				}
				b.ReportMetric(float64(first.Microseconds())/1000, "ms-first-batch")
				b.ReportMetric(float64(total.Microseconds())/1000, "ms-total")
				b.ReportMetric(float64(rows), "rows")
			})
		}
	}
}

func timeQuery(b *testing.B, c kamldv1.QueryServiceClient, q string) (first, total time.Duration, rows int64) {
	start := time.Now()
	stream, err := c.ExecuteQuery(context.Background(), &kamldv1.ExecuteQueryRequest{Sql: q, MaxRows: benchRows, BatchRows: 10_000})
	require.NoError(b, err)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return first, time.Since(start), rows
		}
		require.NoError(b, err)
		if batch := msg.GetBatch(); batch != nil {
			if first == 0 {
				first = time.Since(start)
			}
			rows += int64(len(batch.GetRows()))
		}
	}
}

// BenchmarkArrow100k is one kamld.sql of 100,000 rows × 5 columns as the sidecar serves it: ExecuteQuery in
// Arrow through the real QueryService (gRPC), every piece read, per call. With -cpuprofile it shows the fixed
// cost of a query (resolution, views, DuckDB's check of the statement) next to the rows' cost. Run:
// go test -tags duckdb_arrow -run '^$' -bench Arrow100k -benchtime 200x ./sidecar/internal/query/duckdb/
func BenchmarkArrow100k(b *testing.B) {
	srv := benchDataset(b, map[string]string{"t.parquet": sqltest.BenchTable(b, "parquet", 100_000)})
	ctx := context.Background()
	for _, q := range []struct{ name, sql string }{
		{"scan", `SELECT * FROM "bench@v1".t`},
		{"one-row", `SELECT 1 AS x FROM "bench@v1".t LIMIT 1`},
	} {
		b.Run(q.name, func(b *testing.B) {
			for range b.N {
				req := &kamldv1.ExecuteQueryRequest{Sql: q.sql, MaxRows: 10_000_000, Format: kamldv1.ResultFormat_RESULT_FORMAT_ARROW}
				stream, err := srv.Client.ExecuteQuery(ctx, req)
				require.NoError(b, err)
				for {
					if _, err := stream.Recv(); errors.Is(err, io.EOF) {
						break
					} else {
						require.NoError(b, err)
					}
				}
			}
		})
	}
}

// benchDataset serves a QueryService over a local store (no fsync) holding dataset "bench" with files (path in
// the dataset → local file) in its first snapshot, v1.
func benchDataset(b *testing.B, files map[string]string) *sqltest.Served {
	store, err := blobfs.New(b.TempDir(), blobfs.WithFsync(false))
	require.NoError(b, err)
	b.Cleanup(func() { _ = store.Close() })
	srv := sqltest.Serve(b, harness(b, store))
	ctx := context.Background()
	_, err = srv.Datasets.CreateDataset(ctx, "bench", dataset.Metadata{})
	require.NoError(b, err)
	for path, local := range files {
		fh, err := os.Open(local)
		require.NoError(b, err)
		if fi, err := fh.Stat(); err == nil {
			b.Logf("%s: %.1f MB", path, float64(fi.Size())/1e6)
		}
		_, err = srv.Datasets.WriteFile(ctx, "bench", path, fh, dataset.WriteOptions{})
		fh.Close()
		require.NoError(b, err)
	}
	_, err = srv.Datasets.CreateSnapshot(ctx, "bench", dataset.SnapshotOptions{Message: "bench tables"})
	require.NoError(b, err)
	return srv
}
