package duckdb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	blobfs "github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
)

// statement builds what the guard would hand over, without asking the guard: as if it had been fooled.
func statement(t *testing.T, sql string, isQuery bool, kind string) *guard.Statement {
	toks, err := guard.Tokenize(sql)
	require.NoError(t, err)
	return &guard.Statement{SQL: sql, Tokens: toks, Kind: kind, Query: isQuery, TablePos: make([]bool, len(toks)), AliasPos: make([]bool, len(toks))}
}

// Even a statement that got past the guard runs only if DuckDB's own parser reads it as one SELECT.
func TestEngineRefusesWhatDuckDBDoesNotParseAsOneSelect(t *testing.T) {
	store, err := blobfs.New(t.TempDir(), blobfs.WithFsync(false))
	require.NoError(t, err)
	defer store.Close()
	h := harness(t, store)
	out := filepath.Join(store.ObjectsDir(), "evil.csv")
	for _, st := range []*guard.Statement{
		statement(t, "COPY (SELECT 1) TO '"+out+"'", true, "SELECT"),
		statement(t, "SELECT 1; COPY (SELECT 1) TO '"+out+"'", true, "SELECT"),
		statement(t, "EXPLAIN ANALYZE COPY (SELECT 1) TO '"+out+"'", false, "EXPLAIN"),
	} {
		_, err := h.Engine.Query(context.Background(), query.Request{Statement: st, MaxRows: 10})
		var se *query.SQLError
		require.ErrorAs(t, err, &se, st.SQL)
	}
	_, err = os.Stat(out)
	require.True(t, os.IsNotExist(err), "nothing was written into the store")

	rows, err := h.Engine.Query(context.Background(), query.Request{Statement: statement(t, "SELECT 42 AS answer", true, "SELECT"), MaxRows: 10})
	require.NoError(t, err)
	defer rows.Close()
	batch, err := rows.Next(context.Background(), 10)
	require.NoError(t, err)
	require.Equal(t, [][]any{{int64(42)}}, batch)
	require.Equal(t, []query.Column{{Name: "answer", Type: "BIGINT"}}, rows.Columns())
}

// Even a statement that got past the guard reads nothing but its datasets and CTEs, and calls only allowed
// functions, as DuckDB itself parses it: catalog views, other schemas, a CTE out of its scope are refused.
func TestEngineReadsNoCatalog(t *testing.T) {
	store, err := blobfs.New(t.TempDir(), blobfs.WithFsync(false))
	require.NoError(t, err)
	defer store.Close()
	h := harness(t, store)
	for _, sql := range []string{
		`SELECT sql FROM duckdb_views`, `SELECT * FROM sqlite_master`, `SELECT * FROM sqlite_temp_master`,
		`SELECT * FROM duckdb_databases`, `SELECT * FROM pragma_database_list`, `SELECT * FROM main.t`,
		`SELECT * FROM (WITH duckdb_views AS (SELECT 1) SELECT * FROM duckdb_views), duckdb_views`,
		`WITH a AS (SELECT * FROM duckdb_views), duckdb_views AS (SELECT 1) SELECT * FROM a`,
		`SELECT * FROM duckdb_settings()`, `SELECT current_setting('allowed_directories')`,
		`SELECT ARRAY(SELECT sql FROM duckdb_views)`, `SELECT * FROM "x" JOIN information_schema.tables USING (a)`,
		`SELECT count(*) OVER () FROM duckdb_columns`,
	} {
		_, err := h.Engine.Query(context.Background(), query.Request{Statement: statement(t, sql, true, "SELECT"), MaxRows: 10})
		var se *query.SQLError
		require.ErrorAs(t, err, &se, sql)
		require.NotContains(t, se.Msg, "__kamld", sql)
	}
	for _, sql := range []string{
		`WITH duckdb_views AS (SELECT 1 AS x) SELECT * FROM duckdb_views`,
		`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT sum(n) FROM r`,
		`SELECT x, row_number() OVER () FROM unnest([1, 2]) u(x), range(2)`,
	} {
		rows, err := h.Engine.Query(context.Background(), query.Request{Statement: statement(t, sql, true, "SELECT"), MaxRows: 10})
		require.NoError(t, err, sql)
		rows.Close()
	}
}
