package trino

import (
	"strings"

	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// nameUse is where a dataset name stands in a statement.
type nameUse int

const (
	asSchema nameUse = iota + 1 // "iris@v3".iris, SHOW TABLES FROM "iris@v3"
	asTable                     // FROM "iris@v3": the dataset's only table
)

// datasetName is one occurrence of a dataset name that the statement reads from.
type datasetName struct {
	ref        resource.ShortRef
	text       string // as written, unquoted
	start, end int    // byte range of the token
	use        nameUse
}

// datasetNames finds the dataset names of a checked statement in the places a table is read from: after FROM,
// JOIN, a comma inside a FROM clause, TABLE, DESCRIBE, or SHOW … FROM/IN. Names elsewhere (a column
// qualified by its table, "iris.species") are left alone: there they name tables, not datasets.
func datasetNames(st *guard.Statement) []datasetName {
	toks := st.Tokens
	var out []datasetName
	depth := 0
	inFrom := map[int]bool{}
	for i, t := range toks {
		var prev, next guard.Token
		if i > 0 {
			prev = toks[i-1]
		}
		if i+1 < len(toks) {
			next = toks[i+1]
		}
		if t.IsIdent() && isTablePosition(prev, inFrom[depth]) {
			if ref, err := resource.ParseShortRef(t.Text); err == nil && ref.Path == "" {
				use := asTable
				if (next.Kind == guard.Punct && next.Text == ".") || (st.Kind == "SHOW" && showsSchema(toks[:i])) {
					use = asSchema
				}
				out = append(out, datasetName{ref: ref, text: t.Text, start: t.Pos, end: tokenEnd(st.SQL, t), use: use})
			}
		}
		switch u := t.Upper(); {
		case t.Kind == guard.Punct && t.Text == "(":
			depth++
		case t.Kind == guard.Punct && t.Text == ")":
			delete(inFrom, depth)
			depth--
		case u == "FROM" || u == "JOIN":
			inFrom[depth] = true
		case fromEnds[u]:
			delete(inFrom, depth)
		}
	}
	return out
}

// fromEnds are the keywords that end a FROM clause at its nesting level.
var fromEnds = map[string]bool{
	"WHERE": true, "GROUP": true, "HAVING": true, "ORDER": true, "LIMIT": true, "OFFSET": true, "FETCH": true,
	"WINDOW": true, "UNION": true, "EXCEPT": true, "INTERSECT": true, "SELECT": true, "ON": true, "USING": true,
}

func isTablePosition(prev guard.Token, inFrom bool) bool {
	switch prev.Upper() {
	case "FROM", "JOIN", "DESCRIBE", "TABLE", "IN":
		return true
	}
	return inFrom && prev.Kind == guard.Punct && prev.Text == ","
}

// showsSchema reports a SHOW TABLES / SHOW FUNCTIONS … FROM|IN <schema>: the name there is a schema.
func showsSchema(before []guard.Token) bool {
	for _, t := range before {
		if u := t.Upper(); u == "TABLES" || u == "FUNCTIONS" {
			return true
		}
	}
	return false
}

// tokenEnd is the byte offset just past a token.
func tokenEnd(sql string, t guard.Token) int {
	if t.Kind != guard.QuotedIdent {
		return t.Pos + len(t.Text)
	}
	for i := t.Pos + 1; i < len(sql); i++ {
		if sql[i] == '"' {
			if i+1 < len(sql) && sql[i+1] == '"' {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(sql)
}

// schemaRef is how a registered state is written in the engine's SQL.
func schemaRef(catalog, schema string) string { return quoteIdent(catalog) + "." + quoteIdent(schema) }

// lowerIdent is a table name as Trino stores it.
func lowerIdent(s string) string { return strings.ToLower(s) }
