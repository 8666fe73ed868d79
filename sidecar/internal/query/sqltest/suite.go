package sqltest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// slowSQL runs for minutes on any engine: a five-way cross product of the 150 irises (7.6e10 rows) that
// no optimizer can shortcut, because every row feeds the sum.
const slowSQL = `SELECT sum(a.sepal_length_cm * b.sepal_width_cm * c.petal_length_cm * d.petal_width_cm * e.sepal_length_cm)
FROM "iris@v1".iris a, "iris@v1".iris b, "iris@v1".iris c, "iris@v1".iris d, "iris@v1".iris e`

// Run runs the conformance suite against the engine newHarness returns; it is called once per run.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	e := setup(t, newHarness(t))
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"GroupBy", testGroupBy},
		{"NamesAndShorthand", testNames},
		{"SnapshotsAndDraft", testSnapshotsAndDraft},
		{"FormatsAndParts", testFormatsAndParts},
		{"ExplainAndDescribe", testExplainDescribe},
		{"Types", testTypes},
		{"LimitsAndBatches", testLimits},
		{"EngineErrors", testEngineErrors},
		{"RejectedStatements", testRejected},
		{"NotFound", testNotFound},
		{"NoEngineCatalogs", testNoCatalogs},
		{"Deadline", testDeadline},
		{"ClientCancelStopsEngine", testClientCancel},
		{"CancelQuery", testCancelQuery},
		{"ListTables", testListTables},
		{"PreviewFile", testPreview},
		{"Arrow", testArrow},
		{"FlightSQL", testFlightSQL},
		{"BranchRefs", testBranchRefs},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, e) })
	}
}

func testGroupBy(t *testing.T, e *env) {
	r := e.query(t, `SELECT species, count(*) AS n, round(avg(petal_length_cm), 3) AS avg_pl
FROM "iris@v1".iris GROUP BY species ORDER BY species`)
	require.Equal(t, []string{"species", "n", "avg_pl"}, names(r.schema))
	require.Equal(t, "VARCHAR", r.schema.GetColumns()[0].GetType())
	require.Equal(t, "BIGINT", r.schema.GetColumns()[1].GetType())
	require.Equal(t, "DOUBLE", r.schema.GetColumns()[2].GetType())
	require.Equal(t, [][]any{{"setosa", 50.0, 1.462}, {"versicolor", 50.0, 4.26}, {"virginica", 50.0, 5.552}}, r.rows)
	require.EqualValues(t, 3, r.stats.GetRows())
	require.False(t, r.stats.GetTruncated())
	require.Equal(t, e.h.Engine.Name(), r.stats.GetEngine())
	require.Positive(t, r.stats.GetBytes())
	require.Contains(t, r.schema.GetQuery(), "queries/")
}

func testNames(t *testing.T, e *env) {
	for _, q := range []string{
		`SELECT count(*) FROM "iris@v1".iris`,
		`SELECT count(*) FROM "iris@v1"`, // the only table of iris@v1
		`SELECT count(*) FROM "iris@v1".IRIS`,
		`SELECT count(*) FROM "iris@v2".iris`,
		`SELECT count(*) FROM iris.iris`, // latest snapshot
		`SELECT count(*) FROM "iris@v1" AS x WHERE x.species = 'setosa' OR x.species <> 'setosa'`,
		`SELECT count(*) FROM "iris@v1".iris WHERE iris.sepal_length_cm > 0`,
		`WITH t AS (SELECT * FROM "iris@v1".iris) SELECT count(*) FROM t`,
	} {
		r := e.query(t, q)
		require.Equal(t, [][]any{{150.0}}, r.rows, q)
	}
	r := e.query(t, `SELECT a.species, count(*) FROM "iris@v1".iris a JOIN "iris@v2".iris b ON a.species = b.species
AND a.sepal_length_cm = b.sepal_length_cm AND a.sepal_width_cm = b.sepal_width_cm
AND a.petal_length_cm = b.petal_length_cm AND a.petal_width_cm = b.petal_width_cm
WHERE a.species = 'setosa' GROUP BY 1`)
	require.Equal(t, "setosa", r.rows[0][0], "two snapshots joined")
}

func testSnapshotsAndDraft(t *testing.T, e *env) {
	_, err := e.exec(context.Background(), &kamldv1.ExecuteQueryRequest{Sql: `SELECT count(*) FROM "iris@v1".extra`})
	requireInvalid(t, err, "has no table")
	r := e.query(t, `SELECT count(*) FROM "iris@v2".extra`)
	require.Equal(t, [][]any{{2.0}}, r.rows)
	r = e.query(t, `SELECT sum(k) FROM "iris@draft".draft`)
	require.Equal(t, [][]any{{6.0}}, r.rows)
	_, err = e.exec(context.Background(), &kamldv1.ExecuteQueryRequest{Sql: `SELECT * FROM "iris@v2"`})
	requireInvalid(t, err, "has 2 tables")
}

// testBranchRefs: a branch's head ("iris@exp") and its draft ("iris@exp~draft") are datasets to SQL like any
// other ref, isolated from main's.
func testBranchRefs(t *testing.T, e *env) {
	ctx := context.Background()
	_, err := e.eng.CreateBranch(ctx, "iris", "sqlexp", "v1", "")
	require.NoError(t, err)
	e.write(t, "iris@sqlexp", "branchy.csv", "k\n10\n20\n")
	e.snapshot(t, "iris@sqlexp")
	e.write(t, "iris@sqlexp", "branchy.csv", "k\n10\n20\n30\n")
	r := e.query(t, `SELECT sum(k) FROM "iris@sqlexp".branchy`)
	require.Equal(t, [][]any{{30.0}}, r.rows)
	r = e.query(t, `SELECT sum(k) FROM "iris@sqlexp~draft".branchy`)
	require.Equal(t, [][]any{{60.0}}, r.rows)
	_, err = e.exec(ctx, &kamldv1.ExecuteQueryRequest{Sql: `SELECT sum(k) FROM "iris@draft".branchy`})
	requireInvalid(t, err, "has no table")
	_, err = e.exec(ctx, &kamldv1.ExecuteQueryRequest{Sql: `SELECT count(*) FROM "iris@nosuch~draft".branchy`})
	require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
}

func testFormatsAndParts(t *testing.T, e *env) {
	r := e.query(t, `SELECT count(*) FROM "penguins@v1".penguins`)
	require.Len(t, r.rows, 1)
	require.Positive(t, r.rows[0][0])
	r = e.query(t, `SELECT count(*) FROM "weather@v1".seattle`)
	require.Positive(t, r.rows[0][0])
	r = e.query(t, `SELECT count(*), sum(id), count(tag) FROM "mixed@v1".events`)
	require.Equal(t, [][]any{{5.0, 15.0, 4.0}}, r.rows, "the folder of parts is one table")
}

func testExplainDescribe(t *testing.T, e *env) {
	r := e.query(t, `EXPLAIN SELECT species FROM "iris@v1".iris WHERE sepal_length_cm > 5`)
	require.NotEmpty(t, r.rows)
	r = e.query(t, `DESCRIBE "iris@v1".iris`)
	require.Len(t, r.rows, 5, "one row per column")
	require.Equal(t, "sepal_length_cm", r.rows[0][0])
}

func testTypes(t *testing.T, e *env) {
	r := e.query(t, `SELECT id, big, price, day, ts, ok, note FROM "mixed@v1".types ORDER BY id`)
	types := map[string]string{}
	for _, c := range r.schema.GetColumns() {
		types[c.GetName()] = c.GetType()
	}
	assert.Equal(t, map[string]string{"id": "BIGINT", "big": "BIGINT", "price": "DOUBLE", "day": "DATE",
		"ts": "TIMESTAMP", "ok": "BOOLEAN", "note": "VARCHAR"}, types)
	require.Len(t, r.rows, 3)
	assert.Equal(t, []any{1.0, "9007199254740993", 12.5, "2024-01-02", "2024-01-02T03:04:05Z", true, "first"}, r.rows[0],
		"a BIGINT beyond 2^53 is a string; dates and timestamps are RFC 3339")
	assert.Equal(t, []any{2.0, -5.0, 0.25, "2024-02-29", "2024-02-29T23:59:59Z", false, nil}, r.rows[1])
	assert.Equal(t, []any{3.0, nil, nil, nil, nil, nil, "quoted, with comma"}, r.rows[2])
}

func testLimits(t *testing.T, e *env) {
	ctx := context.Background()
	r, err := e.exec(ctx, &kamldv1.ExecuteQueryRequest{Sql: `SELECT * FROM "iris@v1".iris`, MaxRows: 10})
	require.NoError(t, err)
	require.Len(t, r.rows, 10)
	require.True(t, r.stats.GetTruncated())

	r, err = e.exec(ctx, &kamldv1.ExecuteQueryRequest{Sql: `SELECT * FROM "iris@v1".iris`, BatchRows: 40})
	require.NoError(t, err)
	require.Len(t, r.rows, 150)
	require.Equal(t, 4, r.batches, "150 rows in batches of 40")
	require.False(t, r.stats.GetTruncated())

	r, err = e.exec(ctx, &kamldv1.ExecuteQueryRequest{Sql: `SELECT * FROM "iris@v1".iris`, MaxBytes: 500})
	require.NoError(t, err)
	require.True(t, r.stats.GetTruncated())
	require.LessOrEqual(t, r.stats.GetBytes(), int64(500))
	require.NotEmpty(t, r.rows)

	for _, bad := range []*kamldv1.ExecuteQueryRequest{
		{Sql: "SELECT 1", MaxRows: -1}, {Sql: "SELECT 1", MaxBytes: 2 << 30}, {Sql: "SELECT 1", BatchRows: 200_000},
		{Sql: "SELECT 1", Timeout: durationpb.New(2 * time.Hour)}, {Sql: "SELECT 1", QueryId: "no spaces"}, {Sql: ""},
	} {
		_, err := e.exec(ctx, bad)
		require.Equal(t, codes.InvalidArgument, status.Code(err), "%v: %v", bad, err)
	}
}

func testEngineErrors(t *testing.T, e *env) {
	for q, where := range map[string]string{
		"SELECT *\nFORM \"iris@v1\".iris":                         "line 2",
		`SELECT nope FROM "iris@v1".iris`:                         "line 1",
		"SELECT species,\n  sepal_length_cm + 'x' FROM iris.iris": "line 2",
	} {
		_, err := e.exec(context.Background(), &kamldv1.ExecuteQueryRequest{Sql: q})
		v := requireInvalid(t, err, where)
		require.NotContains(t, v, "__kamld", "engine-internal names are cleaned: %s", v)
		require.NotContains(t, v, "/", "no file paths: %s", v)
	}
}

func testRejected(t *testing.T, e *env) {
	for _, q := range []string{
		`SELECT 1; SELECT 2`, `DROP TABLE x`, `INSERT INTO t VALUES (1)`, `CALL x()`, `SET x = 1`,
		`SELECT * FROM read_csv('/etc/passwd')`, `SELECT * FROM information_schema.tables`, `SELECT * FROM '/etc/passwd'`,
	} {
		_, err := e.exec(context.Background(), &kamldv1.ExecuteQueryRequest{Sql: q})
		requireInvalid(t, err, "line 1")
	}
}

func testNotFound(t *testing.T, e *env) {
	for _, q := range []string{`SELECT * FROM "nope@v1".t`, `SELECT * FROM "iris@v9".iris`, `SELECT * FROM "iris@notatag".iris`} {
		_, err := e.exec(context.Background(), &kamldv1.ExecuteQueryRequest{Sql: q})
		require.Equal(t, codes.NotFound, status.Code(err), "%s: %v", q, err)
	}
}

// testNoCatalogs: a statement reads datasets and its own CTEs, nothing else — not DuckDB's catalog views, not
// Trino's system catalog, information_schema or other catalogs — and the answer names only what the
// statement wrote.
func testNoCatalogs(t *testing.T, e *env) {
	for _, q := range []string{
		`SELECT * FROM sqlite_master`, `SELECT * FROM sqlite_schema`, `SELECT * FROM sqlite_temp_master`,
		`SELECT * FROM duckdb_views`, `SELECT * FROM duckdb_databases`, `SELECT * FROM duckdb_columns`,
		`SELECT * FROM pragma_database_list`, `SELECT * FROM "iris@"`, `SELECT * FROM "iris@v0"`,
		`SELECT * FROM nosuchtable`, `SELECT * FROM "nosuchtable"`,
		`SELECT sql FROM duckdb_views WHERE NOT internal AND EXISTS (SELECT 1 FROM "iris@v1".iris)`,
		`SELECT * FROM "iris@v1".iris JOIN "iris@v1".iris b USING (species), duckdb_tables`,
		`SELECT * FROM hive.information_schema.tables`, `SELECT * FROM tpch.tiny.nation`,
	} {
		_, err := e.exec(context.Background(), &kamldv1.ExecuteQueryRequest{Sql: q})
		require.Equal(t, codes.NotFound, status.Code(err), "%s: %v", q, err)
		requireClean(t, q, err)
	}
	for _, q := range []string{
		`SHOW DATABASES`, `SHOW ALL TABLES`, `SELECT * FROM system.runtime.queries`, `SELECT * FROM information_schema.tables`,
		`SELECT * FROM duckdb_views()`, `SELECT * FROM TABLE(system.sequence(1, 3))`, `SELECT version()`,
		`SELECT * FROM system.metadata.catalogs`, `SELECT * FROM "iris@v1".iris, pragma_database_list()`,
	} {
		_, err := e.exec(context.Background(), &kamldv1.ExecuteQueryRequest{Sql: q})
		require.Equal(t, codes.InvalidArgument, status.Code(err), "%s: %v", q, err)
		requireClean(t, q, err)
	}
	// Refused either way: a CTE's name out of its scope names no table (the engine says so, the guard cannot
	// tell scopes); an engine's own catalog name is reserved on that engine, and no dataset on the others.
	for _, q := range []string{
		`SELECT * FROM (WITH duckdb_views AS (SELECT 1) SELECT * FROM duckdb_views), duckdb_views`,
		`SELECT * FROM kamld.information_schema.tables`,
	} {
		_, err := e.exec(context.Background(), &kamldv1.ExecuteQueryRequest{Sql: q})
		require.Contains(t, []codes.Code{codes.InvalidArgument, codes.NotFound}, status.Code(err), "%s: %v", q, err)
		requireClean(t, q, err)
	}
	r := e.query(t, `WITH duckdb_views AS (SELECT count(*) AS n FROM "iris@v1".iris) SELECT n FROM duckdb_views`)
	require.Equal(t, [][]any{{150.0}}, r.rows, "a CTE may take any name")
}

// requireClean: an error names nothing of the engine's own.
func requireClean(t *testing.T, q string, err error) {
	t.Helper()
	msg := status.Convert(err).Message() + fmt.Sprint(status.Convert(err).Details())
	for _, leak := range []string{"pg_", "Did you mean", "__kamld", "/", "does not exist!", "Catalog"} {
		require.NotContains(t, msg, leak, "%s: %s", q, msg)
	}
}

func testDeadline(t *testing.T, e *env) {
	_, err := e.exec(context.Background(), &kamldv1.ExecuteQueryRequest{Sql: slowSQL, Timeout: durationpb.New(300 * time.Millisecond)})
	require.Equal(t, codes.DeadlineExceeded, status.Code(err), "%v", err)
	requireStopped(t, e, "")
}

// requireStopped waits until no query of id is running: the engine gave up its work (the service removes a
// query only once the engine's call returned). With id "", until a new query runs at once.
func requireStopped(t *testing.T, e *env, id string) {
	t.Helper()
	if id == "" {
		r := e.query(t, `SELECT 1 AS one`)
		require.Equal(t, [][]any{{1.0}}, r.rows)
		return
	}
	require.Eventually(t, func() bool {
		_, err := e.client.CancelQuery(context.Background(), &kamldv1.CancelQueryRequest{Name: "queries/" + id})
		return status.Code(err) == codes.NotFound
	}, 30*time.Second, 50*time.Millisecond, "the engine's query %s kept running after the cancel", id)
}

// waitRunning waits until query id is registered (it is, before the engine starts it).
func waitRunning(t *testing.T, e *env, id, who string) {
	t.Helper()
	require.Eventually(t, func() bool {
		return e.service.Running(id, who)
	}, 30*time.Second, 10*time.Millisecond)
}

func testClientCancel(t *testing.T, e *env) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.exec(ctx, &kamldv1.ExecuteQueryRequest{Sql: slowSQL, QueryId: "client-cancel"})
		done <- err
	}()
	waitRunning(t, e, "client-cancel", "alice")
	time.Sleep(200 * time.Millisecond) // let the engine start working
	cancel()
	require.Equal(t, codes.Canceled, status.Code(<-done))
	requireStopped(t, e, "client-cancel")
}

func testCancelQuery(t *testing.T, e *env) {
	done := make(chan error, 1)
	go func() {
		_, err := e.exec(as(context.Background(), "bob"), &kamldv1.ExecuteQueryRequest{Sql: slowSQL, QueryId: "bobs-query"})
		done <- err
	}()
	waitRunning(t, e, "bobs-query", "bob")
	_, err := e.client.CancelQuery(as(context.Background(), "mallory"), &kamldv1.CancelQueryRequest{Name: "queries/bobs-query"})
	require.Equal(t, codes.NotFound, status.Code(err), "only the identity that started a query may cancel it")
	_, err = e.client.CancelQuery(as(context.Background(), "bob"), &kamldv1.CancelQueryRequest{Name: "queries/bobs-query"})
	require.NoError(t, err)
	require.Equal(t, codes.Canceled, status.Code(<-done))
	requireStopped(t, e, "bobs-query")
	_, err = e.client.CancelQuery(context.Background(), &kamldv1.CancelQueryRequest{Name: "bogus"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

func testListTables(t *testing.T, e *env) {
	ctx := context.Background()
	res, err := e.client.ListTables(ctx, &kamldv1.ListTablesRequest{Dataset: "datasets/iris", Ref: "v2"})
	require.NoError(t, err)
	require.Equal(t, "iris@v2", res.GetSchema())
	var got []string
	for _, tb := range res.GetTables() {
		got = append(got, fmt.Sprintf("%s:%d:%d", tb.GetName(), len(tb.GetColumns()), tb.GetRowCount()))
	}
	require.Equal(t, []string{"extra:2:2", "iris:5:150"}, got)
	res, err = e.client.ListTables(ctx, &kamldv1.ListTablesRequest{Dataset: "datasets/iris", Ref: "draft"})
	require.NoError(t, err)
	require.Len(t, res.GetTables(), 3)
	_, err = e.client.ListTables(ctx, &kamldv1.ListTablesRequest{Dataset: "datasets/nope"})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = e.client.ListTables(ctx, &kamldv1.ListTablesRequest{Dataset: "datasets/iris", Ref: "bad ref!"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

func testPreview(t *testing.T, e *env) {
	ctx := context.Background()
	p, err := e.client.PreviewFile(ctx, &kamldv1.PreviewFileRequest{Dataset: "datasets/iris", Path: "iris.csv", Ref: "v1", Limit: 5})
	require.NoError(t, err)
	require.Len(t, p.GetRows(), 5)
	require.True(t, p.GetTruncated())
	require.Equal(t, "sepal_length_cm", p.GetColumns()[0].GetName())
	require.Equal(t, "DOUBLE", p.GetColumns()[0].GetType())
	require.Equal(t, []any{5.1, 3.5, 1.4, 0.2, "setosa"}, p.GetRows()[0].AsSlice())

	p, err = e.client.PreviewFile(ctx, &kamldv1.PreviewFileRequest{Dataset: "datasets/penguins", Path: "penguins.parquet", Limit: 3})
	require.NoError(t, err)
	require.True(t, p.GetTruncated())
	require.Greater(t, p.GetTotalRows(), int64(3), "Parquet's row count comes from its footer")

	p, err = e.client.PreviewFile(ctx, &kamldv1.PreviewFileRequest{Dataset: "datasets/iris", Path: "draft.csv", Ref: "draft"})
	require.NoError(t, err)
	require.False(t, p.GetTruncated())
	require.EqualValues(t, 3, p.GetTotalRows())

	e.write(t, "iris", "notes.txt", "not a table")
	_, err = e.client.PreviewFile(ctx, &kamldv1.PreviewFileRequest{Dataset: "datasets/iris", Path: "notes.txt", Ref: "draft"})
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	_, err = e.client.PreviewFile(ctx, &kamldv1.PreviewFileRequest{Dataset: "datasets/iris", Path: "nope.csv"})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = e.client.PreviewFile(ctx, &kamldv1.PreviewFileRequest{Dataset: "datasets/iris", Path: "iris.csv", Limit: -1})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

func names(s *kamldv1.ResultSchema) []string {
	var out []string
	for _, c := range s.GetColumns() {
		out = append(out, c.GetName())
	}
	return out
}

// requireInvalid checks an INVALID_ARGUMENT whose BadRequest violation on "sql" contains want, and returns
// the violation's description.
func requireInvalid(t *testing.T, err error, want string) string {
	t.Helper()
	require.Error(t, err)
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code(), "%v", err)
	for _, d := range st.Details() {
		var br *errdetails.BadRequest
		if isBadRequest(d, &br) {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == "sql" {
					require.Contains(t, v.GetDescription(), want)
					return v.GetDescription()
				}
			}
		}
	}
	t.Fatalf("no field violation on sql in %v", err)
	return ""
}

func isBadRequest(d any, out **errdetails.BadRequest) bool {
	br, ok := d.(*errdetails.BadRequest)
	if ok {
		*out = br
	}
	return ok
}
