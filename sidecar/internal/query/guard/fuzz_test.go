package guard_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// FuzzCheck checks the guard against DuckDB's own parser: whatever the guard accepts as a query, DuckDB must
// parse as exactly one SELECT statement (or fail to parse it at all) — never as several statements or as
// anything that is not a SELECT. Run: go test -fuzz FuzzCheck ./sidecar/internal/query/guard
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`SELECT * FROM "iris@v3".iris`, `SELECT 1; DROP TABLE x`, `SELECT 1 /* /* */ ; DROP TABLE x; -- */`,
		`SELECT $$a;b$$`, `SELECT 'a'';DROP'`, `WITH t AS (SELECT 1) SELECT * FROM t`, `EXPLAIN SELECT 1`,
		`SELECT "a""b" FROM t -- ;`, `SELECT * FROM read_csv('/etc/passwd')`, `(SELECT 1)`, `SHOW TABLES`,
		`SELECT E'\'; DROP TABLE x; --'`, "SELECT 1\n;", `SELECT $t$ $$ $t$`, `DESCRIBE "a@v1".b`,
	} {
		f.Add(s)
	}
	db, err := tabular.OpenDuckDB(context.Background(), tabular.DuckOptions{Threads: 1})
	require.NoError(f, err)
	f.Cleanup(func() { _ = db.Close() })
	g := guard.New()
	f.Fuzz(func(t *testing.T, s string) {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				panic(fmt.Sprintf("HANG on %q", s))
			}
		}()
		st, err := g.Check(s)
		if err != nil {
			var se *guard.SyntaxError
			require.ErrorAs(t, err, &se)
			require.GreaterOrEqual(t, se.Pos, 0)
			require.LessOrEqual(t, se.Pos, len(s))
			return
		}
		for _, tok := range st.Tokens {
			require.NotEqual(t, guard.Semicolon, tok.Kind)
		}
		if st.Query {
			requireOneSelect(t, db, s)
		}
	})
}

func requireOneSelect(t *testing.T, db *sql.DB, s string) {
	t.Helper()
	var out string
	require.NoError(t, db.QueryRow("SELECT CAST(json_serialize_sql(?::VARCHAR) AS VARCHAR)", s).Scan(&out))
	var res struct {
		Error      bool              `json:"error"`
		Message    string            `json:"error_message"`
		Statements []json.RawMessage `json:"statements"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	if res.Error {
		require.NotContains(t, strings.ToLower(res.Message), "only select statements", "the guard accepted a non-SELECT: %q", s)
		return
	}
	require.Len(t, res.Statements, 1, "the guard accepted several statements: %q", s)
}
