package query

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// Rewritten is a statement whose dataset references were replaced by an engine's own table names.
type Rewritten struct {
	SQL string
	// Used lists the tables the statement references, each once, with the name it was replaced by.
	Used []Replaced
	// edits map offsets in SQL back to the client's statement.
	edits []edit
}

// Replaced is one table a rewritten statement uses.
type Replaced struct {
	Schema   *Schema
	Table    *tabular.Table
	Name     string // the engine's name for it, as placed in SQL
	Original string // as the client wrote it: "iris@v3".iris
}

type edit struct{ newStart, newEnd, oldStart, oldEnd int }

// Rewrite replaces every reference to a table of schemas in st — schema.table, or a schema alone standing for
// its only table — with name(schema, table), an identifier or qualified name of the engine's own. Where a
// reference stands in a FROM or JOIN without an alias, the original name is kept as its alias, so that
// qualified column references ("iris"."species") still resolve. Unknown tables ("iris@v3".nope) are
// INVALID_ARGUMENT naming the tables there are. A bare dataset name (iris, not "iris" or iris@v3) counts only
// where a table goes, so an alias or a CTE of the same name elsewhere is left alone.
func Rewrite(st *guard.Statement, schemas []Schema, name func(*Schema, *tabular.Table) string) (*Rewritten, error) {
	byName := map[string]*Schema{}
	for i := range schemas {
		byName[strings.ToLower(schemas[i].Name)] = &schemas[i]
	}
	toks := st.Tokens
	rw := &Rewritten{}
	used := map[*tabular.Table]string{}
	var b strings.Builder
	last := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		s := byName[strings.ToLower(t.Text)]
		if !t.IsIdent() || s == nil || (i > 0 && toks[i-1].Kind == guard.Punct && toks[i-1].Text == ".") {
			continue
		}
		// A bare word (iris) names a dataset only where a table goes (FROM, JOIN…); elsewhere it may be an
		// alias or a CTE of the same name. A quoted or '@' name ("iris@v1") is a dataset wherever it is.
		explicit := strings.Contains(t.Text, "@") || t.Kind == guard.QuotedIdent
		if !explicit && !st.TablePos[i] {
			continue
		}
		var tbl *tabular.Table
		end := i
		switch {
		case i+2 < len(toks) && toks[i+1].Text == "." && toks[i+1].Kind == guard.Punct && toks[i+2].IsIdent():
			tbl = findTable(s, toks[i+2].Text)
			if tbl == nil {
				return nil, guard.InvalidSQL(st.SQL, toks[i+2].Pos, fmt.Sprintf("%s has no table %q; its tables: %s", t.Text, toks[i+2].Text, tableNames(s)))
			}
			end = i + 2
		case st.TablePos[i]:
			if len(s.Tables) != 1 && !explicit {
				continue // perhaps a CTE or view of the same name
			}
			if len(s.Tables) != 1 {
				return nil, guard.InvalidSQL(st.SQL, t.Pos, fmt.Sprintf("%s has %d tables, so name one: %s.<table> (tables: %s)", t.Text, len(s.Tables), quoteIdent(t.Text), tableNames(s)))
			}
			tbl = &s.Tables[0]
		default:
			continue
		}
		repl, ok := used[tbl]
		if !ok {
			repl = name(s, tbl)
			used[tbl] = repl
			rw.Used = append(rw.Used, Replaced{Schema: s, Table: tbl, Name: repl, Original: st.SQL[t.Pos:toks[end].End]})
		}
		alias := ""
		if st.AliasPos[i] && !hasAlias(toks, end+1) {
			alias = " AS " + tabular.Ident(aliasOf(toks, end))
		}
		b.WriteString(st.SQL[last:t.Pos])
		start := b.Len()
		b.WriteString(repl + alias)
		rw.edits = append(rw.edits, edit{newStart: start, newEnd: b.Len(), oldStart: t.Pos, oldEnd: toks[end].End})
		last = toks[end].End
		i = end
	}
	stop := len(st.SQL)
	if n := len(toks); n > 0 {
		stop = toks[n-1].End // drop a trailing semicolon and comment
	}
	b.WriteString(st.SQL[last:stop])
	rw.SQL = b.String()
	return rw, nil
}

// OriginalPos maps a byte offset in the rewritten SQL back to the client's statement.
func (r *Rewritten) OriginalPos(pos int) int {
	shift := 0
	for _, e := range r.edits {
		if pos < e.newStart {
			break
		}
		if pos < e.newEnd {
			return e.oldStart
		}
		shift = e.oldEnd - e.newEnd
	}
	return pos + shift
}

// Clean replaces the engine's names in a message by the client's.
func (r *Rewritten) Clean(msg string) string {
	used := append([]Replaced(nil), r.Used...)
	sort.Slice(used, func(i, j int) bool { return len(used[i].Name) > len(used[j].Name) })
	for _, u := range used {
		msg = strings.ReplaceAll(msg, u.Name, u.Original)
		msg = strings.ReplaceAll(msg, strings.Trim(u.Name, `"`), u.Original)
	}
	return msg
}

func findTable(s *Schema, name string) *tabular.Table {
	for i := range s.Tables {
		if strings.EqualFold(s.Tables[i].Name, name) {
			return &s.Tables[i]
		}
	}
	return nil
}

func tableNames(s *Schema) string {
	if len(s.Tables) == 0 {
		return "none"
	}
	var out []string
	for _, t := range s.Tables {
		out = append(out, t.Name)
	}
	return strings.Join(out, ", ")
}

func quoteIdent(s string) string {
	if strings.ContainsAny(s, `@-."`) {
		return tabular.Ident(s)
	}
	return s
}

// notAliases are keywords that may follow a table reference and are not its alias.
var notAliases = map[string]bool{
	"WHERE": true, "JOIN": true, "ON": true, "USING": true, "GROUP": true, "ORDER": true, "LIMIT": true,
	"OFFSET": true, "INNER": true, "LEFT": true, "RIGHT": true, "FULL": true, "CROSS": true, "NATURAL": true,
	"OUTER": true, "UNION": true, "EXCEPT": true, "INTERSECT": true, "HAVING": true, "WINDOW": true,
	"QUALIFY": true, "FETCH": true, "LATERAL": true, "POSITIONAL": true, "ASOF": true, "ANTI": true, "SEMI": true,
	"TABLESAMPLE": true, "PIVOT": true, "UNPIVOT": true, "SAMPLE": true, "FOR": true,
}

func hasAlias(toks []guard.Token, i int) bool {
	if i >= len(toks) {
		return false
	}
	t := toks[i]
	if t.Upper() == "AS" || t.Kind == guard.QuotedIdent {
		return true
	}
	return t.Kind == guard.Word && !notAliases[t.Upper()]
}

// aliasOf is the name a reference keeps: the table's name as written, or the schema's for the shorthand.
func aliasOf(toks []guard.Token, end int) string { return toks[end].Text }

// SQLError builds a SQLError at an offset of the rewritten SQL (-1: unknown), in the client's terms.
func (r *Rewritten) SQLError(pos int, msg string) *SQLError {
	if pos >= 0 {
		pos = r.OriginalPos(pos)
	}
	return &SQLError{Pos: pos, Msg: r.Clean(msg)}
}
