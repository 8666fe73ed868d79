package guard

import (
	"strings"

	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Statement is a checked statement.
type Statement struct {
	SQL    string
	Tokens []Token
	// Kind is the leading keyword: SELECT, WITH, DESCRIBE or EXPLAIN.
	Kind string
	// Datasets are the dataset references that may name a schema or table: identifiers that parse as
	// "dataset" or "dataset@ref" in a position where a schema or table can appear. Deduplicated, in order of
	// first appearance. Some may be column or alias names that merely look like one; the caller resolves those
	// that name existing datasets.
	Datasets []DatasetRef
	// CTEs are the names the statement's WITH clauses define (lower case), wherever they are: a table
	// position may name one of them instead of a dataset (see Check). Engines that resolve unqualified names
	// in a catalog of their own must check the scope of each (duckdb.verify does).
	CTEs map[string]bool
	// Query reports whether the statement returns a query's rows (SELECT or WITH), as opposed to metadata.
	Query bool
	// TablePos[i] reports whether Tokens[i] stands where a table name goes (after FROM, JOIN, DESCRIBE, or a
	// comma in a FROM clause), and Alias whether it is a FROM/JOIN position, where an alias may follow.
	TablePos, AliasPos []bool
}

// DatasetRef is a dataset reference in a statement.
type DatasetRef struct {
	// Name is the identifier as written (unquoted), e.g. "iris@v3".
	Name string
	Ref  resource.ShortRef
	// Pos is the byte offset of its first occurrence.
	Pos int
}

// Guard checks statements. The zero value is not usable; use New.
type Guard struct {
	reserved map[string]bool
}

// Option configures a Guard.
type Option func(*Guard)

// WithReservedSchemas adds schema or catalog names no statement may qualify a name with (an engine's own
// catalogs: "hive", "system"…). Compared case-insensitively.
func WithReservedSchemas(names ...string) Option {
	return func(g *Guard) {
		for _, n := range names {
			g.reserved[strings.ToLower(n)] = true
		}
	}
}

// New returns a Guard.
func New(opts ...Option) *Guard {
	g := &Guard{reserved: map[string]bool{}}
	for _, n := range defaultReserved {
		g.reserved[n] = true
	}
	for _, o := range opts {
		o(g)
	}
	return g
}

// MaxBytes is the longest statement accepted (query.proto: 256 KiB).
const MaxBytes = 256 << 10

// starts are the statements accepted, by first keyword. SHOW is not among them: its forms list the engine's
// catalogs (SHOW DATABASES, SHOW ALL TABLES); DESCRIBE "d@v1".t and ListTables describe datasets.
var starts = map[string]bool{"SELECT": true, "WITH": true, "DESCRIBE": true, "EXPLAIN": true}

// forbidden are keywords that have no place in a read-only query: statements that write, change the session
// or reach outside the datasets. They are refused anywhere outside strings and quoted identifiers (a column
// named like one must be quoted: "update").
var forbidden = map[string]bool{
	"INSERT": true, "UPDATE": true, "DELETE": true, "MERGE": true, "UPSERT": true, "CREATE": true, "DROP": true,
	"ALTER": true, "TRUNCATE": true, "COPY": true, "ATTACH": true, "DETACH": true, "CALL": true, "SET": true,
	"RESET": true, "USE": true, "PREPARE": true, "EXECUTE": true, "DEALLOCATE": true, "PRAGMA": true,
	"INSTALL": true, "LOAD": true, "EXPORT": true, "IMPORT": true, "VACUUM": true, "CHECKPOINT": true,
	"GRANT": true, "REVOKE": true, "COMMIT": true, "ROLLBACK": true, "BEGIN": true, "START": true,
	"TRANSACTION": true, "ABORT": true, "SUMMARIZE": true, "COMMENT": true, "REFRESH": true, "ANALYZE": true,
	"UNLOAD": true, "LOCK": true, "UNLOCK": true, "DENY": true, "SECRET": true, "MACRO": true, "FUNCTION": true,
	"OUTFILE": true, "DUMPFILE": true, "SESSION": true,
}

// defaultReserved are the schemas and catalogs of DuckDB and Trino themselves.
var defaultReserved = []string{"system", "temp", "memory", "main", "information_schema", "pg_catalog", "runtime", "jdbc", "metadata"}

// Check parses sql and returns it as a Statement, or an error with a position: one statement only, starting
// with SELECT, WITH, DESCRIBE or EXPLAIN (whose statement must again be a query); no forbidden keyword
// outside strings and quoted identifiers; no function but those of the allowlist (functions.go), and in a
// FROM clause no table function but unnest, range and generate_series; no string or path in place of a
// table; no name qualified by an engine's own catalog or schema.
//
// What a table position names is the other half of the rule — a dataset or one of the statement's CTEs,
// nothing else — and is checked once the datasets are resolved (querysvc.CheckTables), since only then is it
// known which bare names are datasets.
func (g *Guard) Check(sql string) (*Statement, error) {
	if len(sql) > MaxBytes {
		return nil, errAt(0, "the statement is %d bytes long; the limit is %d", len(sql), MaxBytes)
	}
	toks, err := Tokenize(sql)
	if err != nil {
		return nil, err
	}
	if n := len(toks); n > 0 && toks[n-1].Kind == Semicolon {
		toks = toks[:n-1]
	}
	if len(toks) == 0 {
		return nil, errAt(0, "the statement is empty")
	}
	st := &Statement{SQL: sql, Tokens: toks}
	first := 0
	for first < len(toks) && toks[first].Kind == Punct && toks[first].Text == "(" {
		first++
	}
	if first == len(toks) || !starts[toks[first].Upper()] {
		return nil, errAt(toks[min(first, len(toks)-1)].Pos, "only SELECT, WITH, DESCRIBE and EXPLAIN statements are accepted")
	}
	st.Kind = toks[first].Upper()
	if first > 0 && st.Kind != "SELECT" && st.Kind != "WITH" {
		return nil, errAt(toks[first].Pos, "%s cannot be parenthesized", st.Kind)
	}
	if st.Kind == "EXPLAIN" {
		if err := checkExplained(toks[first+1:]); err != nil {
			return nil, err
		}
	}
	st.Query = st.Kind == "SELECT" || st.Kind == "WITH"
	if err := g.scan(st); err != nil {
		return nil, err
	}
	return st, nil
}

// checkExplained makes sure EXPLAIN [ANALYZE] [(options)] is followed by a query: EXPLAIN ANALYZE runs it.
func checkExplained(rest []Token) error {
	i := 0
	for i < len(rest) && (rest[i].Upper() == "ANALYZE" || rest[i].Upper() == "VERBOSE" || rest[i].Upper() == "DISTRIBUTED" || rest[i].Upper() == "LOGICAL" || rest[i].Upper() == "PHYSICAL") {
		i++
	}
	if i < len(rest) && rest[i].Kind == Punct && rest[i].Text == "(" {
		depth := 0
		for ; i < len(rest); i++ {
			if rest[i].Kind == Punct && rest[i].Text == "(" {
				depth++
			} else if rest[i].Kind == Punct && rest[i].Text == ")" {
				depth--
				if depth == 0 {
					i++
					break
				}
			}
		}
	}
	for i < len(rest) && rest[i].Kind == Punct && rest[i].Text == "(" {
		i++
	}
	if i >= len(rest) || (rest[i].Upper() != "SELECT" && rest[i].Upper() != "WITH") {
		pos := 0
		if i < len(rest) {
			pos = rest[i].Pos
		} else if len(rest) > 0 {
			pos = rest[len(rest)-1].Pos
		}
		return errAt(pos, "EXPLAIN must be followed by a SELECT or WITH query")
	}
	return nil
}

// scan checks every token and collects dataset references and CTE names.
func (g *Guard) scan(st *Statement) error {
	toks := st.Tokens
	seen := map[string]bool{}
	st.CTEs = cteNames(toks)
	from := &fromTracker{inFrom: map[int]bool{}, call: map[int]bool{}}
	for i, t := range toks {
		prev, next := tokenAt(toks, i-1), tokenAt(toks, i+1)
		tablePos := !from.inCall() && (isTablePosition(prev, from.in()) || (i > 0 && st.TablePos[i-1] && prev.Kind == Punct && prev.Text == "("))
		st.TablePos = append(st.TablePos, tablePos)
		st.AliasPos = append(st.AliasPos, tablePos && (prev.Upper() == "FROM" || prev.Upper() == "JOIN" || prev.Kind == Punct))
		from.step(t, prev, tablePos)
		switch t.Kind {
		case Semicolon:
			return errAt(t.Pos, "only one statement is accepted")
		case Param:
			return errAt(t.Pos, "parameters (%s) are not supported", t.Text)
		case String:
			if tablePos {
				return errAt(t.Pos, "a string cannot stand for a table (files are read only as dataset tables)")
			}
		case Word:
			u := t.Upper()
			// ANALYZE is part of EXPLAIN ANALYZE; elsewhere it is a statement of its own.
			if forbidden[u] && !(u == "ANALYZE" && prev.Upper() == "EXPLAIN") && !isQualified(prev) {
				return errAt(t.Pos, "%s is not allowed: queries are read-only (quote a column named %s)", u, strings.ToLower(u))
			}
		}
		if !t.IsIdent() {
			continue
		}
		if next.Kind == Punct && next.Text == "(" {
			if err := checkCall(toks, i, tablePos); err != nil {
				return err
			}
		}
		if next.Kind == Punct && next.Text == "." && !isQualified(prev) && g.reserved[t.Name()] {
			return errAt(t.Pos, "%q is not a dataset: only datasets can be queried", t.Text)
		}
		if t.Kind == QuotedIdent && tablePos && looksLikeFile(t.Text) && !isBranchDraftRef(t.Text) {
			return errAt(t.Pos, "%q looks like a file path; files are read only as dataset tables", t.Text)
		}
		schemaPos := next.Kind == Punct && next.Text == "." && !isQualified(prev)
		call := next.Kind == Punct && next.Text == "("
		if !call && (schemaPos || tablePos || (t.Kind == QuotedIdent && strings.Contains(t.Text, "@"))) {
			if ref, err := resource.ParseShortRef(t.Text); err == nil && ref.Path == "" && !seen[t.Text] {
				seen[t.Text] = true
				st.Datasets = append(st.Datasets, DatasetRef{Name: t.Text, Ref: ref, Pos: t.Pos})
			}
		}
	}
	return nil
}

// checkCall checks the identifier at i, followed by "(": a call of an allowed function (a table function
// where a table goes), or not a call at all (syntax such as IN (…), a CTE's or alias's column list).
func checkCall(toks []Token, i int, tablePos bool) error {
	t, prev := toks[i], tokenAt(toks, i-1)
	name := t.Name()
	switch {
	case t.Kind == Word && callKeywords[name] && !tablePos:
		return nil
	case prev.Kind == Word && prev.Upper() == "AS", isCTEColumns(toks, i):
		return nil
	case prev.IsIdent() && !(prev.Kind == Word && afterKeywords[prev.Name()]), prev.Kind == Punct && prev.Text == ")":
		return nil // "FROM t x(a, b)", "FROM f() x(a)": an alias's column list; no call follows a name or ")"
	case tablePos && !allowedTableFuncs[name]:
		return errAt(t.Pos, "the table function %s is not allowed: a FROM clause reads datasets (and unnest, range, generate_series)", t.Text)
	case !tablePos && !allowedFuncs[name]:
		return errAt(t.Pos, "the function %s is not allowed (not a known function, or it reads files or the engine's state)", t.Text)
	}
	return nil
}

// cteNames finds the names WITH clauses define: "name AS (", "name AS [NOT] MATERIALIZED (" or
// "name(columns) AS (".
func cteNames(toks []Token) map[string]bool {
	out := map[string]bool{}
	for i, t := range toks {
		if !t.IsIdent() {
			continue
		}
		j := i + 1
		if tokenAt(toks, j).Text == "(" && tokenAt(toks, j).Kind == Punct {
			j = closing(toks, j) + 1
		}
		if j > i && isCTEBody(toks, j) {
			out[t.Name()] = true
		}
	}
	return out
}

// isCTEBody reports "AS [NOT] [MATERIALIZED] (" at j.
func isCTEBody(toks []Token, j int) bool {
	if tokenAt(toks, j).Upper() != "AS" {
		return false
	}
	j++
	if tokenAt(toks, j).Upper() == "NOT" {
		j++
	}
	if tokenAt(toks, j).Upper() == "MATERIALIZED" {
		j++
	}
	n := tokenAt(toks, j)
	return n.Kind == Punct && n.Text == "("
}

// isCTEColumns reports a CTE name at i followed by its column list.
func isCTEColumns(toks []Token, i int) bool {
	return isCTEBody(toks, closing(toks, i+1)+1)
}

// closing is the index of the ")" matching the "(" at i, or len(toks) when there is none.
func closing(toks []Token, i int) int {
	depth := 0
	for ; i < len(toks); i++ {
		if toks[i].Kind != Punct {
			continue
		}
		switch toks[i].Text {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(toks)
}

func tokenAt(toks []Token, i int) Token {
	if i < 0 || i >= len(toks) {
		return Token{}
	}
	return toks[i]
}

// isQualified reports a '.' before a name: the name is a member (t.col, s.tbl), not a leading schema.
func isQualified(prev Token) bool { return prev.Kind == Punct && prev.Text == "." }

// isTablePosition reports a token after which a table name comes: FROM, JOIN, DESCRIBE…, or a comma in a FROM
// clause.
func isTablePosition(prev Token, inFrom bool) bool {
	switch prev.Upper() {
	case "FROM", "JOIN", "DESCRIBE", "TABLE", "LATERAL":
		return true
	}
	return inFrom && prev.Kind == Punct && prev.Text == ","
}

// fromEnds are the keywords that end a FROM clause at its nesting level. ON and USING do not: a comma after a
// join condition starts another table ("FROM a JOIN b USING (k), c").
var fromEnds = map[string]bool{
	"WHERE": true, "GROUP": true, "HAVING": true, "ORDER": true, "LIMIT": true, "OFFSET": true, "FETCH": true,
	"QUALIFY": true, "WINDOW": true, "UNION": true, "EXCEPT": true, "INTERSECT": true, "SELECT": true,
}

// fromTracker follows which parenthesis levels are inside a FROM clause, and which are a call's arguments
// (EXTRACT(x FROM ts), TRIM(' ' FROM s)), where FROM introduces no table.
type fromTracker struct {
	depth  int
	inFrom map[int]bool
	call   map[int]bool
}

func (f *fromTracker) step(t, prev Token, tablePos bool) {
	switch {
	case t.Kind == Punct && t.Text == "(":
		f.depth++
		f.call[f.depth] = prev.IsIdent() && !tablePos && !(prev.Kind == Word && afterKeywords[prev.Name()])
		if tablePos { // a parenthesized relation: FROM (a JOIN b ON …, c)
			f.inFrom[f.depth] = true
		}
	case t.Kind == Punct && t.Text == ")":
		delete(f.inFrom, f.depth)
		delete(f.call, f.depth)
		f.depth--
	case t.Upper() == "FROM" || t.Upper() == "JOIN":
		f.inFrom[f.depth] = true
	case t.Upper() == "SELECT": // a subquery among a call's arguments: ARRAY(SELECT … FROM …)
		delete(f.call, f.depth)
		delete(f.inFrom, f.depth)
	case fromEnds[t.Upper()]:
		delete(f.inFrom, f.depth)
	}
}

func (f *fromTracker) in() bool { return f.inFrom[f.depth] }

// inCall reports a position among a call's arguments (outside any subquery in them).
func (f *fromTracker) inCall() bool { return f.call[f.depth] }

// fileExtensions are what DuckDB's replacement scans read as files when a table name ends with them.
var fileExtensions = []string{".csv", ".tsv", ".tab", ".parquet", ".json", ".jsonl", ".ndjson", ".gz", ".zst", ".txt", ".arrow", ".db", ".duckdb", ".sqlite", ".xlsx", ".avro", ".orc"}

func looksLikeFile(s string) bool {
	l := strings.ToLower(s)
	if strings.ContainsAny(l, `/\:~`) {
		return true
	}
	for _, e := range fileExtensions {
		if strings.HasSuffix(l, e) || strings.Contains(l, e+".") {
			return true
		}
	}
	return strings.ContainsAny(l, "*?[")
}
