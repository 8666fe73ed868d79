package querysvc

import (
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
)

// notNames are the words that may stand where a table goes without naming one: FROM (SELECT …), FROM
// LATERAL (…), FROM VALUES (…), FROM UNNEST(…).
var notNames = map[string]bool{"SELECT": true, "WITH": true, "VALUES": true, "LATERAL": true, "UNNEST": true, "TABLE": true}

// CheckTables is the second half of the guard's rule (guard.Check has the first): every name where a table
// goes is a dataset of schemas (as resolved), or, unqualified, one of the statement's CTEs. Anything else —
// an engine's catalog views (sqlite_master, duckdb_views, information_schema.tables, system.runtime.queries),
// another catalog's tables, a dataset that does not exist — is NOT_FOUND, naming only what the statement
// wrote: the engine never sees the statement, so its catalogs are neither read nor named in the answer.
func CheckTables(st *guard.Statement, schemas []query.Schema) error {
	known := map[string]bool{}
	for _, s := range schemas {
		known[strings.ToLower(s.Name)] = true
	}
	toks := st.Tokens
	for i, t := range toks {
		if !st.TablePos[i] || !t.IsIdent() || (t.Kind == guard.Word && notNames[t.Upper()]) {
			continue
		}
		next := tokenAfter(toks, i)
		qualified := next.Kind == guard.Punct && next.Text == "."
		switch {
		case known[strings.ToLower(t.Text)]:
		case next.Kind == guard.Punct && next.Text == "(": // a table function, which the guard allowed
		case !qualified && st.CTEs[t.Name()]:
		default:
			return apierr.New(codes.NotFound, kamldv1.ErrorReason_ERROR_REASON_DATASET_NOT_FOUND, "%s", notFound(st.SQL, t))
		}
	}
	return nil
}

func notFound(sql string, t guard.Token) string {
	line, col := guard.LineCol(sql, t.Pos)
	return fmt.Sprintf("line %d, column %d: there is no dataset %s: a statement reads datasets (\"name@ref\".table, or name for the latest snapshot's only table) and the tables of its own WITH clause", line, col, quoteName(t))
}

func quoteName(t guard.Token) string {
	if t.Kind == guard.QuotedIdent {
		return `"` + strings.ReplaceAll(t.Text, `"`, `""`) + `"`
	}
	return t.Text
}

func tokenAfter(toks []guard.Token, i int) guard.Token {
	if i+1 < len(toks) {
		return toks[i+1]
	}
	return guard.Token{}
}
