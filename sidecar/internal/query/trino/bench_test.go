package trino

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/query/sqltest"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

const benchRows = 1_000_000

// BenchmarkTrinoQueries1M measures, on a real Trino reading a real MinIO, a scan, a filter and a group-by over
// one generated table of 1,000,000 rows stored as CSV and as Parquet: time to the first batch and to the whole
// result through the sidecar's QueryService (gRPC), and the same statement sent directly with trino-go-client
// (rows scanned, nothing encoded), with the ratio of the two; and what registering the snapshot cost.
// Run: make bench-trino.
func BenchmarkTrinoQueries1M(b *testing.B) {
	e, eng, srv := serveDataset(b, "bench")
	ctx := context.Background()
	for _, f := range []string{"csv", "parquet"} {
		p := sqltest.BenchTable(b, f, benchRows)
		fh, err := os.Open(p)
		require.NoError(b, err)
		_, err = srv.Datasets.WriteFile(ctx, "bench", "t_"+f+"."+f, fh, dataset.WriteOptions{})
		fh.Close()
		require.NoError(b, err)
	}
	_, err := srv.Datasets.CreateSnapshot(ctx, "bench", dataset.SnapshotOptions{Message: "1M rows"})
	require.NoError(b, err)
	_, err = srv.Client.ListTables(ctx, &kamldv1.ListTablesRequest{Dataset: "datasets/bench"}) // extraction, not measured
	require.NoError(b, err)

	// What registration costs: the first query on a snapshot registers it, the same query again finds it
	// registered; then a second snapshot that adds one file (1 new raw table and view). Trino
	// is warmed up first, so that its own start (JIT, first S3 access) is not counted.
	_, _, _ = timeQuery(b, srv.Client, "SELECT 1 AS one")
	cold, _, _ := timeQuery(b, srv.Client, "SELECT 1 AS one FROM bench.t_csv LIMIT 1")
	warm, _, _ := timeQuery(b, srv.Client, "SELECT 1 AS one FROM bench.t_csv LIMIT 1")
	_, err = srv.Datasets.WriteFile(ctx, "bench", "small.csv", strings.NewReader("k\n1\n"), dataset.WriteOptions{})
	require.NoError(b, err)
	_, err = srv.Datasets.CreateSnapshot(ctx, "bench", dataset.SnapshotOptions{Message: "one more file"})
	require.NoError(b, err)
	_, err = srv.Client.ListTables(ctx, &kamldv1.ListTablesRequest{Dataset: "datasets/bench"})
	require.NoError(b, err)
	next, _, _ := timeQuery(b, srv.Client, "SELECT 1 AS one FROM bench.t_csv LIMIT 1")
	// Printed, not logged: a benchmark's log shows only with -v.
	fmt.Printf("registration: first query on a new snapshot of 2 tables %s, the same query again %s, "+
		"first query on a next snapshot adding 1 table %s\n",
		cold.Round(time.Millisecond), warm.Round(time.Millisecond), next.Round(time.Millisecond))

	state, err := e.tables.At(ctx, "bench", "")
	require.NoError(b, err)
	views, err := eng.reg.Register(ctx, "bench", fromTabular(tabular.Tables(state.Files)))
	require.NoError(b, err)

	for _, f := range []string{"csv", "parquet"} {
		for _, q := range []struct{ name, sql string }{
			{"scan", "SELECT * FROM %s"},
			{"filter", "SELECT * FROM %s WHERE grp = 7"},
			{"groupby", "SELECT grp, count(*) AS n, avg(value) AS mean FROM %s GROUP BY grp"},
		} {
			b.Run(f+"/"+q.name, func(b *testing.B) {
				var first, total, dFirst, dTotal time.Duration
				var rows int64
				for range b.N {
					first, total, rows = timeQuery(b, srv.Client, fmt.Sprintf(q.sql, "bench.t_"+f))
					dFirst, dTotal = timeDirect(b, eng.db, fmt.Sprintf(q.sql, views["t_"+f]), rows)
				}
				b.ReportMetric(ms(first), "ms-first-batch")
				b.ReportMetric(ms(total), "ms-total")
				b.ReportMetric(ms(dFirst), "ms-direct-first")
				b.ReportMetric(ms(dTotal), "ms-direct-total")
				b.ReportMetric(float64(total)/float64(dTotal), "x-sidecar/direct")
				b.ReportMetric(float64(rows), "rows")
			})
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// serveDataset starts MinIO and Trino, a QueryService on the Trino engine, and creates an empty dataset.
func serveDataset(b *testing.B, name string) (*env, *Engine, *sqltest.Served) {
	e := startEnv(b)
	eng := e.newEngine(b)
	srv := sqltest.Serve(b, sqltest.Harness{Store: e.store, Engine: eng, Guard: eng.Guard()})
	_, err := srv.Datasets.CreateDataset(context.Background(), name, dataset.Metadata{})
	require.NoError(b, err)
	return e, eng, srv
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
		require.NoError(b, err, q)
		if batch := msg.GetBatch(); batch != nil {
			if first == 0 {
				first = time.Since(start)
			}
			rows += int64(len(batch.GetRows()))
		}
	}
}

// timeDirect runs a statement with trino-go-client alone, scanning every row, and checks it returns want rows.
func timeDirect(b *testing.B, db *sql.DB, q string, want int64) (first, total time.Duration) {
	start := time.Now()
	rows, err := db.QueryContext(context.Background(), q)
	require.NoError(b, err, q)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(b, err)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if n == 0 {
			first = time.Since(start)
		}
		require.NoError(b, rows.Scan(ptrs...))
		n++
	}
	require.NoError(b, rows.Err())
	require.Equal(b, want, n, q)
	return first, time.Since(start)
}
