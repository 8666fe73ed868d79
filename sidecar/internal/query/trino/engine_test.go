package trino

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

func (e *env) newEngine(t testing.TB) *Engine {
	t.Helper()
	eng, err := New(Config{URL: e.trino.URL, Catalog: testCatalog, StoreRoot: e.root}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	return eng
}

// request checks a statement and resolves its datasets as QueryService does.
func (e *env) request(t *testing.T, eng *Engine, id, sql string) query.Request {
	t.Helper()
	st, err := eng.Guard().Check(sql)
	require.NoError(t, err)
	req := query.Request{ID: id, Statement: st, MaxRows: 1 << 40}
	for _, d := range st.Datasets {
		at, err := e.tables.At(context.Background(), d.Ref.Dataset, d.Ref.Ref.String())
		if errors.Is(err, apierr.ErrNotFound) && !strings.Contains(d.Name, "@") {
			continue // a name that looks like a dataset but is a table alias
		}
		require.NoError(t, err)
		req.Schemas = append(req.Schemas, query.Schema{Name: d.Name, Dataset: d.Ref.Dataset, Tables: tabular.Tables(at.Files)})
	}
	return req
}

// drain runs a request to its end or first error.
func drain(ctx context.Context, eng *Engine, req query.Request) ([]query.Column, [][]any, error) {
	rows, err := eng.Query(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out [][]any
	for {
		batch, err := rows.Next(ctx, 100)
		if err != nil || len(batch) == 0 {
			return rows.Columns(), out, err
		}
		out = append(out, batch...)
	}
}

func (e *env) snapshotIris(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.engine.GetDataset(ctx, "iris"); err == nil {
		return
	}
	_, err := e.engine.CreateDataset(ctx, "iris", dataset.Metadata{})
	require.NoError(t, err)
	e.write(t, "iris", "iris.csv", sample(t, "iris/iris.csv"))
	_, err = e.engine.CreateSnapshot(ctx, "iris", dataset.SnapshotOptions{Message: "v1"})
	require.NoError(t, err)
}

// testEngineErrors checks what is Trino's own in the engine's answers (the conformance suite checks the rest):
// errors at the client's line and column, without the registered names.
func testEngineErrors(t *testing.T, e *env) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e.snapshotIris(t)
	eng := e.newEngine(t)
	require.NoError(t, eng.Health(ctx))

	cols, rows, err := drain(ctx, eng, e.request(t, eng, "ok", `SELECT species, count(*) AS n FROM "iris@v1" GROUP BY 1 ORDER BY 1`))
	require.NoError(t, err)
	assert.Equal(t, []query.Column{{Name: "species", Type: "VARCHAR"}, {Name: "n", Type: "BIGINT"}}, cols)
	assert.Equal(t, [][]any{{"setosa", int64(50)}, {"versicolor", int64(50)}, {"virginica", int64(50)}}, rows)

	sql := "SELECT species,\n       nope FROM \"iris@v1\".iris"
	_, _, err = drain(ctx, eng, e.request(t, eng, "bad", sql))
	var se *query.SQLError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, len("SELECT species,\n       "), se.Pos)
	assert.Contains(t, se.Msg, "nope")

	_, _, err = drain(ctx, eng, e.request(t, eng, "bad2", `SELECT * FROM "iris@v1".iris x JOIN "iris@v1".iris y ON x.species = y.nope`))
	require.ErrorAs(t, err, &se)
	assert.NotContains(t, se.Msg, "iris_", "registered names do not leak: %s", se.Msg)

	for _, bad := range []string{`SELECT * FROM kamld.kamld_files.x`, `SELECT * FROM kamld_files.x`} {
		_, err := eng.Guard().Check(bad)
		assert.Error(t, err, "%s: the engine's own schemas are reserved", bad)
	}
	down, err := New(Config{URL: "http://127.0.0.1:1", Catalog: testCatalog, StoreRoot: e.root}, nil)
	require.NoError(t, err)
	// trino-go-client retries a refused connection until its request_retry_timeout (2 minutes), so the check
	// gets the few seconds a health probe gives it, not the test's whole deadline.
	hctx, hcancel := context.WithTimeout(ctx, 2*time.Second)
	defer hcancel()
	assert.Equal(t, codes.Unavailable, apierr.Code(down.Health(hctx)))
}

// slowQuery returns no row for minutes: a sum over the five-way cross product of the 150 irises (7.6e10
// rows), which no optimizer can shortcut; every join's build side is 150 rows, so memory stays small.
const slowQuery = `SELECT sum(a.sepal_length_cm * b.sepal_width_cm * c.petal_length_cm * d.petal_width_cm * e.sepal_length_cm)
FROM "iris@v1".iris a, "iris@v1".iris b, "iris@v1".iris c, "iris@v1".iris d, "iris@v1".iris e`

// slowRows streams that product: the first rows come at once, the rest would take hours.
const slowRows = `SELECT a.species, e.sepal_length_cm FROM "iris@v1".iris a, "iris@v1".iris b, "iris@v1".iris c, "iris@v1".iris d, "iris@v1".iris e`

// testEngineCancel checks that a client's cancel, a deadline and closing the rows early each stop the query
// on Trino itself: it leaves the RUNNING state in system.runtime.queries.
func testEngineCancel(t *testing.T, e *env) {
	e.snapshotIris(t)
	eng := e.newEngine(t)
	newID := func(how string) string { return "cancel-" + how + "-" + time.Now().Format("150405000") }

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		id := newID("cancel")
		errc := make(chan error, 1)
		go func() { _, _, err := drain(ctx, eng, e.request(t, eng, id, slowQuery)); errc <- err }()
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
		_, _, err := drain(ctx, eng, e.request(t, eng, id, slowQuery))
		assert.Equal(t, codes.DeadlineExceeded, apierr.Code(err), "%v", err)
		assert.Equal(t, []string{"FAILED"}, waitState(t, e.db, "-- kamld query "+id, isDone))
	})
	t.Run("close", func(t *testing.T) {
		ctx := context.Background()
		id := newID("close")
		rows, err := eng.Query(ctx, e.request(t, eng, id, slowRows))
		require.NoError(t, err)
		batch, err := rows.Next(ctx, 10)
		require.NoError(t, err)
		require.Len(t, batch, 10)
		waitState(t, e.db, "-- kamld query "+id, isRunning)
		require.NoError(t, rows.Close())
		assert.Equal(t, []string{"FAILED"}, waitState(t, e.db, "-- kamld query "+id, isDone))
	})
}
