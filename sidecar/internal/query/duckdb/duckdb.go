// Package duckdb is the embedded query engine: DuckDB in process, reading dataset files in place (fs store) or
// from a bounded local cache (MinIO/S3), locked down so that it can read nothing else.
package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// Engine runs queries with DuckDB. Safe for concurrent use: each query has a connection of its own, on which
// its tables are temporary views that no other query sees.
type Engine struct {
	db    *tabular.LazyDB
	loc   *tabular.Locator
	seq   atomic.Int64
	owned bool // Close closes db
	// exports is where ExportParquet writes (an allowed directory of db); empty when it cannot write.
	exports string
}

var _ query.Engine = (*Engine)(nil)

// New returns an engine reading blobs through loc with db (tabular.OpenDuckDB, allowed to read loc.Dirs()).
// The engine does not own db: the caller closes it after the engine.
func New(db *sql.DB, loc *tabular.Locator) *Engine { return &Engine{db: tabular.FixedDB(db), loc: loc} }

// Name implements backend.Backend.
func (e *Engine) Name() string { return "duckdb" }

// Location implements backend.Backend.
func (e *Engine) Location() string { return "in process" }

// Started implements backend.Starter: whether DuckDB is open now.
func (e *Engine) Started() bool { return e.db.Opened() }

// Health implements backend.Backend. A DuckDB not open (no query so far, or closed while idle) has nothing to
// fail: it is ready and opens with the next query.
func (e *Engine) Health(ctx context.Context) error {
	db, done := e.db.AcquireOpened()
	defer done()
	if db == nil {
		return nil
	}
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("duckdb: %w: %w", apierr.ErrUnavailable, err)
	}
	return nil
}

// Close implements backend.Backend; it closes the database only if Open created it.
func (e *Engine) Close() error {
	if e.owned {
		return e.db.Close()
	}
	return nil
}

// Open returns an engine with a DuckDB of its own, reading store's blobs (caching remote ones under cacheDir,
// bounded by cfg.CacheBytes) with cfg.MemoryLimit, and writing saved results under cacheDir/exports.
// DuckDB itself opens with the first query and closes after cfg.IdleClose without one.
func Open(_ context.Context, store blob.Store, cacheDir string, cfg config.DuckDB) (*Engine, error) {
	loc, err := tabular.NewLocator(store, filepath.Join(cacheDir, "blobs"), int64(cfg.CacheBytes))
	if err != nil {
		return nil, err
	}
	exports := filepath.Join(cacheDir, exportsDir)
	if err := os.MkdirAll(exports, 0o700); err != nil {
		return nil, fmt.Errorf("duckdb exports: %w", err)
	}
	db := tabular.NewLazyDB(tabular.DuckOptions{ReadDirs: append(loc.Dirs(), exports), MemoryLimit: cfg.MemoryLimit}, cfg.IdleClose)
	return &Engine{db: db, loc: loc, owned: true, exports: exports}, nil
}

// Query implements query.Engine.
func (e *Engine) Query(ctx context.Context, req query.Request) (query.Rows, error) {
	q, err := e.prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	text := q.rw.SQL
	if req.Statement.Query && req.MaxRows > 0 {
		// duckdb-go materializes a result before the first row is read: the limit keeps that bounded.
		text = fmt.Sprintf("SELECT * FROM (\n%s\n) LIMIT %d", q.rw.SQL, req.MaxRows+1)
		q.offset = len("SELECT * FROM (\n")
	}
	q.sqlText = text
	if req.Arrow && arrowBuilt {
		return q.queryArrow(ctx, text)
	}
	r, err := q.conn.QueryContext(ctx, text)
	if err != nil {
		_ = q.Close()
		return nil, q.engineError(ctx, err)
	}
	q.rows = r
	if err := q.describe(); err != nil {
		_ = q.Close()
		return nil, q.engineError(ctx, err)
	}
	return q, nil
}

// prepare rewrites the statement's names, takes a connection, registers the tables it uses as views on it and
// has DuckDB confirm the statement is what the guard says it is. The caller closes the result.
func (e *Engine) prepare(ctx context.Context, req query.Request) (*rows, error) {
	q := &rows{}
	n, k := e.seq.Add(1), 0
	rw, err := query.Rewrite(req.Statement, req.Schemas, func(*query.Schema, *tabular.Table) string {
		k++
		return fmt.Sprintf(`"__kamld_%d_%d"`, n, k)
	})
	if err != nil {
		return nil, err
	}
	q.rw = rw
	q.sqlText = rw.SQL
	db, done, err := e.db.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w: %w", apierr.ErrUnavailable, err)
	}
	q.done = done // after the connection goes back (Close)
	if q.conn, err = db.Conn(ctx); err != nil {
		_ = q.Close()
		return nil, fmt.Errorf("duckdb: %w: %w", apierr.ErrUnavailable, err)
	}
	if err := q.createViews(ctx, e.loc); err != nil {
		_ = q.Close()
		return nil, err
	}
	if err := verify(ctx, q.conn, req.Statement, rw.SQL, viewNames(rw)); err != nil {
		_ = q.Close()
		return nil, err
	}
	return q, nil
}

type rows struct {
	conn     *sql.Conn
	rows     *sql.Rows
	reader   array.RecordReader // instead of rows, for Arrow results
	conform  *query.Conformer
	rw       *query.Rewritten
	views    []string
	releases []func()
	done     func() // releases the database (tabular.LazyDB.Acquire)
	cols     []query.Column
	sqlText  string
	offset   int
	closed   bool
}

// createViews registers each table the statement uses as a temporary view that casts its columns to the
// extracted types, so that both engines see the same types.
func (q *rows) createViews(ctx context.Context, loc *tabular.Locator) error {
	for _, u := range q.rw.Used {
		var paths []string
		for _, f := range u.Table.Files {
			p, release, err := loc.Path(ctx, f.Digest, f.Size)
			if err != nil {
				return err
			}
			q.releases = append(q.releases, release)
			paths = append(paths, p)
		}
		stmt := "CREATE TEMP VIEW " + u.Name + " AS " + ViewSQL(u.Table, paths)
		if _, err := q.conn.ExecContext(ctx, stmt); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("table %s cannot be read: %s: %w", u.Original, tabular.CleanError(q.rw.Clean(err.Error())), apierr.ErrFailedPrecondition)
		}
		q.views = append(q.views, u.Name)
	}
	return nil
}

// ViewSQL is the SELECT that reads a table's files with its extracted column types.
func ViewSQL(t *tabular.Table, paths []string) string {
	src := tabular.ReaderSQL(t.Format, paths[0])
	if len(paths) > 1 {
		lits := make([]string, len(paths))
		for i, p := range paths {
			lits[i] = tabular.Literal(p)
		}
		src = tabular.ReaderListSQL(t.Format, lits)
	}
	if len(t.Columns) == 0 {
		return "SELECT * FROM " + src
	}
	exprs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		_, cast := tabular.NormalizeType(duckTypeOf(c.Type))
		exprs[i] = fmt.Sprintf("CAST(%s AS %s) AS %s", tabular.Ident(c.Name), cast, tabular.Ident(c.Name))
	}
	return "SELECT " + strings.Join(exprs, ", ") + " FROM " + src
}

// duckTypeOf maps a dialect type back to DuckDB's spelling (they differ only for arrays).
func duckTypeOf(dialect string) string {
	if inner, ok := strings.CutPrefix(dialect, "ARRAY("); ok {
		return duckTypeOf(strings.TrimSuffix(inner, ")")) + "[]"
	}
	return dialect
}

// errNotDuckDB is a connection that is not duckdb-go's (it cannot happen with tabular.OpenDuckDB).
var errNotDuckDB = errors.New("duckdb: Arrow results need a duckdb-go connection")

// queryArrow starts the query through DuckDB's Arrow interface; the result is an arrowRows.
func (q *rows) queryArrow(ctx context.Context, text string) (query.Rows, error) {
	rr, err := queryArrow(ctx, q.conn, text)
	if err != nil {
		_ = q.Close()
		return nil, q.engineError(ctx, err)
	}
	q.reader = rr
	q.conform = query.NewConformer(rr.Schema())
	q.cols = q.conform.Columns()
	return &arrowRows{rows: q}, nil
}

// arrowRows is a result read as DuckDB's own Arrow batches.
type arrowRows struct{ *rows }

// NextRecord implements query.ArrowRows.
func (a *arrowRows) NextRecord(ctx context.Context) (arrow.RecordBatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !a.reader.Next() {
		if err := a.reader.Err(); err != nil {
			return nil, a.engineError(ctx, err)
		}
		return nil, nil
	}
	return a.conform.Conform(a.reader.RecordBatch()), nil
}

func (q *rows) describe() error {
	cts, err := q.rows.ColumnTypes()
	if err != nil {
		return err
	}
	for _, ct := range cts {
		t, _ := tabular.NormalizeType(ct.DatabaseTypeName())
		q.cols = append(q.cols, query.Column{Name: ct.Name(), Type: t})
	}
	return nil
}

func (q *rows) Columns() []query.Column { return q.cols }

func (q *rows) Next(ctx context.Context, n int) ([][]any, error) {
	var out [][]any
	vals := make([]any, len(q.cols))
	ptrs := make([]any, len(q.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for len(out) < n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !q.rows.Next() {
			if err := q.rows.Err(); err != nil {
				return nil, q.engineError(ctx, err)
			}
			break
		}
		if err := q.rows.Scan(ptrs...); err != nil {
			return nil, q.engineError(ctx, err)
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = tabular.NormalizeValue(v)
		}
		out = append(out, row)
	}
	return out, nil
}

// Close drops the query's views and returns its connection.
func (q *rows) Close() error {
	if q.closed {
		return nil
	}
	q.closed = true
	if q.rows != nil {
		_ = q.rows.Close()
	}
	if q.reader != nil {
		q.reader.Release() // closes DuckDB's result, before the connection goes back
	}
	if q.conn != nil {
		for _, v := range q.views {
			_, _ = q.conn.ExecContext(context.Background(), "DROP VIEW IF EXISTS "+v)
		}
		_ = q.conn.Close()
	}
	for _, r := range q.releases {
		r()
	}
	if q.done != nil {
		q.done()
	}
	return nil
}

// verify has DuckDB's own parser confirm that a query (or the query an EXPLAIN explains) is exactly one
// SELECT before it runs: DuckDB may write inside its allowed directories (COPY, ATTACH), so the guard's reading
// of the statement is checked against the engine's. DESCRIBE and SHOW, which DuckDB cannot serialize, rely on
// the guard alone.
//
// The parse tree is then held to the guard's rule (checkTree): only the query's views, its CTEs and allowed
// functions.
func verify(ctx context.Context, conn *sql.Conn, st *guard.Statement, text string, views map[string]bool) error {
	switch {
	case st.Query:
	case st.Kind == "EXPLAIN":
		i := explained(st.Tokens)
		if i < 0 {
			return &query.SQLError{Pos: 0, Msg: "EXPLAIN must be followed by a SELECT or WITH query"}
		}
		// Offsets in text are those of the rewritten statement; the explained query starts at the same
		// token, whose position did not move (rewrites only happen after it).
		text = text[st.Tokens[i].Pos:]
	default:
		return nil
	}
	var out string
	if err := conn.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(?::VARCHAR) AS VARCHAR)", text).Scan(&out); err != nil {
		return fmt.Errorf("duckdb: %w: %w", apierr.ErrUnavailable, err)
	}
	var res struct {
		Error      bool  `json:"error"`
		Statements []any `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		return fmt.Errorf("duckdb: unexpected json_serialize_sql output: %w", err)
	}
	if !res.Error && len(res.Statements) != 1 {
		return &query.SQLError{Pos: -1, Msg: "only one SELECT statement is accepted"}
	}
	if res.Error && (st.Kind == "EXPLAIN" || !strings.Contains(out, "syntax error")) {
		// Not a SELECT as DuckDB reads it. A query's own syntax errors are left to the query, which reports
		// where (DuckDB parses the very same text, so it cannot run); an explained one must parse here.
		return &query.SQLError{Pos: -1, Msg: "only SELECT, WITH, DESCRIBE and EXPLAIN statements are accepted"}
	}
	if err := checkTree(res.Statements, views); err != nil {
		return &query.SQLError{Pos: -1, Msg: err.Error()}
	}
	return nil
}

// viewNames are the names of the views a rewritten statement reads, as DuckDB's parse tree spells them.
func viewNames(rw *query.Rewritten) map[string]bool {
	out := map[string]bool{}
	for _, u := range rw.Used {
		out[strings.Trim(u.Name, `"`)] = true
	}
	return out
}

// explained returns the index of the first token of the statement EXPLAIN [ANALYZE] [(options)] explains,
// or -1 when it does not start like a query.
func explained(toks []guard.Token) int {
	i := 1
	for i < len(toks) && (toks[i].Upper() == "ANALYZE" || toks[i].Upper() == "VERBOSE") {
		i++
	}
	if i+1 < len(toks) && toks[i].Text == "(" && toks[i+1].Upper() != "SELECT" && toks[i+1].Upper() != "WITH" {
		for i < len(toks) && toks[i].Text != ")" {
			i++
		}
		i++
	}
	if i >= len(toks) || (toks[i].Upper() != "SELECT" && toks[i].Upper() != "WITH" && toks[i].Text != "(") {
		return -1
	}
	return i
}

var (
	lineRE  = regexp.MustCompile(`(?m)^LINE (\d+): (.*)$`)
	caretRE = regexp.MustCompile(`(?m)^( *)\^`)
)

// engineError turns a DuckDB error into a query.SQLError at the client's position, or the context's error when
// the query was cancelled or timed out (DuckDB then reports "Interrupted").
func (q *rows) engineError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := err.Error()
	pos := q.position(msg)
	return q.rw.SQLError(pos, tabular.CleanError(msg))
}

// position finds where DuckDB's "LINE n: <snippet>" and caret point in the SQL it ran, and maps that to the
// rewritten statement (without the limit wrapper). DuckDB may shorten long lines to a window around the error
// ("...snippet..."), so the snippet is located in the line rather than trusted to start at column 1.
func (q *rows) position(msg string) int {
	m := lineRE.FindStringSubmatchIndex(msg)
	c := caretRE.FindStringSubmatch(msg)
	if m == nil || c == nil {
		return -1
	}
	lineNo, _ := strconv.Atoi(msg[m[2]:m[3]])
	snippet := msg[m[4]:m[5]]
	caret := len(c[1]) - len(msg[m[0]:m[4]])
	lines := strings.SplitAfter(q.sqlText, "\n")
	if lineNo < 1 || lineNo > len(lines) || caret < 0 {
		return -1
	}
	lineStart := 0
	for _, l := range lines[:lineNo-1] {
		lineStart += len(l)
	}
	line := lines[lineNo-1]
	lead := 0
	if s, ok := strings.CutPrefix(snippet, "..."); ok {
		snippet, lead = s, 3
	}
	snippet = strings.TrimSuffix(snippet, "...")
	idx := strings.Index(line, snippet)
	if idx < 0 {
		idx = 0
	}
	pos := lineStart + idx + caret - lead
	pos -= q.offset
	if pos < 0 || pos > len(q.rw.SQL) {
		return -1
	}
	return pos
}
