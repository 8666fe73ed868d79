package trino

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/dataset"
)

func (e *env) newEngine(t *testing.T) *Engine {
	t.Helper()
	eng, err := New(Config{URL: e.trino.URL, Catalog: testCatalog, StoreRoot: e.root}, e.tables, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	return eng
}

// collect runs a statement to the end.
func collect(ctx context.Context, eng *Engine, sql string) ([]ResultColumn, [][]any, error) {
	rows, err := eng.Query(ctx, sql, "test")
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out [][]any
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return rows.Columns, out, nil
		}
		if err != nil {
			return rows.Columns, out, err
		}
		out = append(out, row)
	}
}

func testEngineQueries(t *testing.T, e *env) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, err := e.engine.CreateDataset(ctx, "iris", dataset.Metadata{})
	require.NoError(t, err)
	e.write(t, "iris", "iris.csv", sample(t, "iris/iris.csv"))
	_, err = e.engine.CreateSnapshot(ctx, "iris", dataset.SnapshotOptions{Message: "v1"})
	require.NoError(t, err)
	eng := e.newEngine(t)
	require.NoError(t, eng.Health(ctx))

	cols, rows, err := collect(ctx, eng, `SELECT species, count(*) AS n, avg(petal_length_cm) AS avg_len
FROM "iris@v1".iris GROUP BY species ORDER BY species`)
	require.NoError(t, err)
	assert.Equal(t, []ResultColumn{{"species", "VARCHAR"}, {"n", "BIGINT"}, {"avg_len", "DOUBLE"}}, cols)
	require.Len(t, rows, 3)
	assert.Equal(t, []any{"setosa", int64(50)}, rows[0][:2])
	assert.InDelta(t, 1.462, rows[0][2], 1e-9)

	// The only table by the dataset's name, the latest snapshot, the draft, and both in one join.
	_, rows, err = collect(ctx, eng, `SELECT count(*) FROM "iris"`)
	require.NoError(t, err)
	assert.Equal(t, [][]any{{int64(150)}}, rows)
	_, rows, err = collect(ctx, eng, `SELECT count(*) FROM iris@draft a JOIN "iris@v1".iris b ON a.species = b.species AND a.sepal_length_cm = b.sepal_length_cm AND a.petal_width_cm = b.petal_width_cm AND a.sepal_width_cm = b.sepal_width_cm AND a.petal_length_cm = b.petal_length_cm`)
	require.Error(t, err, "iris@draft unquoted is not one identifier")
	_, rows, err = collect(ctx, eng, `SELECT count(*) FROM "iris@draft" a, "iris@v1".iris b WHERE a.species = b.species`)
	require.NoError(t, err)
	assert.Equal(t, [][]any{{int64(50 * 50 * 3)}}, rows)
	_, rows, err = collect(ctx, eng, `SHOW TABLES FROM "iris@v1"`)
	require.NoError(t, err)
	assert.Equal(t, [][]any{{"iris"}}, rows)
	_, rows, err = collect(ctx, eng, `DESCRIBE "iris@v1".iris`)
	require.NoError(t, err)
	assert.Len(t, rows, 5)

	// Engine errors: INVALID_ARGUMENT at the user's line and column, in the user's names.
	_, _, err = collect(ctx, eng, "SELECT species,\n       nope FROM \"iris@v1\".iris")
	require.Equal(t, codes.InvalidArgument, apierr.Code(err), "%v", err)
	assert.Contains(t, err.Error(), "line 2, column 8")
	assert.Contains(t, err.Error(), "nope")
	_, _, err = collect(ctx, eng, `SELECT * FROM "iris@v1".missing`)
	require.Equal(t, codes.InvalidArgument, apierr.Code(err), "%v", err)
	assert.Contains(t, err.Error(), `"iris@v1"`)
	assert.NotContains(t, err.Error(), "iris_", "registered names do not leak")
	_, _, err = collect(ctx, eng, `SELECT * FROM "nosuch@v1".t`)
	assert.Equal(t, codes.NotFound, apierr.Code(err), "%v", err)
	_, _, err = collect(ctx, eng, `SELECT * FROM "iris@v9".iris`)
	assert.Equal(t, codes.NotFound, apierr.Code(err), "%v", err)

	// The guard runs first: nothing that writes or reaches outside the datasets gets to Trino.
	for _, bad := range []string{
		`DROP TABLE "iris@v1".iris`, `SELECT 1; SELECT 2`, `SELECT * FROM kamld.files.x`,
		`SELECT * FROM system.runtime.queries`, `CALL kamld.system.register_partition('a')`, `SET SESSION x = 1`,
	} {
		_, _, err = collect(ctx, eng, bad)
		assert.Equal(t, codes.InvalidArgument, apierr.Code(err), "%s: %v", bad, err)
	}
}

// slowRows streams 10^11 rows: its first rows come at once, the rest would take hours.
const slowRows = `SELECT a.x, b.y FROM UNNEST(sequence(1, 10000)) a(x) CROSS JOIN UNNEST(sequence(1, 10000)) b(y) CROSS JOIN UNNEST(sequence(1, 1000)) c(z)`

// drain runs a statement to its end or first error.
func drain(ctx context.Context, eng *Engine, sql, id string) error {
	rows, err := eng.Query(ctx, sql, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for {
		if _, err := rows.Next(); err != nil {
			return err
		}
	}
}

// testEngineCancel checks that a client's cancel, a deadline and closing the rows early each stop the query
// on Trino: it leaves the RUNNING state in system.runtime.queries (and the caller sees CANCELLED or
// DEADLINE_EXCEEDED).
func testEngineCancel(t *testing.T, e *env) {
	eng := e.newEngine(t)
	newID := func(how string) string { return "cancel-" + how + "-" + time.Now().Format("150405000") }

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		id := newID("cancel")
		errc := make(chan error, 1)
		go func() { errc <- drain(ctx, eng, slowQuery, id) }()
		waitState(t, e.db, "-- kamld query "+id, isRunning)
		cancel()
		err := <-errc
		assert.Equal(t, codes.Canceled, apierr.Code(err), "%v", err)
		assert.Equal(t, []string{"FAILED"}, waitState(t, e.db, "-- kamld query "+id, isDone))
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		id := newID("deadline")
		err := drain(ctx, eng, slowQuery, id)
		assert.Equal(t, codes.DeadlineExceeded, apierr.Code(err), "%v", err)
		assert.Equal(t, []string{"FAILED"}, waitState(t, e.db, "-- kamld query "+id, isDone))
	})
	t.Run("close", func(t *testing.T) {
		id := newID("close")
		rows, err := eng.Query(context.Background(), slowRows, id)
		require.NoError(t, err)
		_, err = rows.Next()
		require.NoError(t, err)
		waitState(t, e.db, "-- kamld query "+id, isRunning)
		require.NoError(t, rows.Close())
		assert.Equal(t, []string{"FAILED"}, waitState(t, e.db, "-- kamld query "+id, isDone))
	})
}
