package duckdb

import (
	"fmt"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/query/guard"
)

// checkTree walks DuckDB's own parse tree of a query (json_serialize_sql) and holds it to the guard's rule as
// DuckDB reads it: every base table is one of the query's views or a CTE in scope — unqualified, so that
// no catalog view (duckdb_views, sqlite_master…) and no other schema is reachable, whatever the guard's token
// reading missed — and every function called is on the guard's allowlist (table functions on its table
// function list). CTE scope follows SQL's: a WITH clause's names are visible in its own statement, and each
// CTE body sees the names defined before it (and itself, for a recursive one).
func checkTree(tree any, views map[string]bool) error {
	return walk(tree, views, map[string]bool{})
}

func walk(v any, views, scope map[string]bool) error {
	switch n := v.(type) {
	case []any:
		for _, e := range n {
			if err := walk(e, views, scope); err != nil {
				return err
			}
		}
	case map[string]any:
		if err := checkNode(n, views, scope); err != nil {
			return err
		}
		inner := scope
		if ctes := cteEntries(n); len(ctes) > 0 {
			inner = with(scope)
			for _, c := range ctes {
				name, _ := c["key"].(string)
				inner[strings.ToLower(name)] = true
				if err := walk(c["value"], views, with(inner)); err != nil {
					return err
				}
			}
		}
		for k, e := range n {
			if k == "cte_map" {
				continue
			}
			if err := walk(e, views, inner); err != nil {
				return err
			}
		}
	}
	return nil
}

func cteEntries(n map[string]any) []map[string]any {
	m, _ := n["cte_map"].(map[string]any)
	list, _ := m["map"].([]any)
	var out []map[string]any
	for _, e := range list {
		if c, ok := e.(map[string]any); ok {
			out = append(out, c)
		}
	}
	return out
}

func with(scope map[string]bool) map[string]bool {
	out := make(map[string]bool, len(scope)+1)
	for k := range scope {
		out[k] = true
	}
	return out
}

func checkNode(n map[string]any, views, scope map[string]bool) error {
	switch n["type"] {
	case "BASE_TABLE":
		name, _ := n["table_name"].(string)
		schema, _ := n["schema_name"].(string)
		catalog, _ := n["catalog_name"].(string)
		if schema != "" || catalog != "" || !(views[name] || scope[strings.ToLower(name)]) {
			return fmt.Errorf("the statement reads a table that is neither a dataset nor one of its WITH tables")
		}
	case "TABLE_FUNCTION":
		fn, _ := n["function"].(map[string]any)
		if name, _ := fn["function_name"].(string); !guard.AllowedTableFunction(name) {
			return fmt.Errorf("the table function %s is not allowed", name)
		}
		return nil
	}
	if (n["class"] == "FUNCTION" && n["is_operator"] != true) || (n["class"] == "WINDOW" && n["function_name"] != nil) {
		name, _ := n["function_name"].(string)
		schema, _ := n["schema"].(string)
		catalog, _ := n["catalog"].(string)
		// DuckDB qualifies the functions its own syntax stands for ([1, 2] is system.main.list_value).
		if (schema != "" && schema != "main") || (catalog != "" && catalog != "system") || !guard.AllowedFunction(name) {
			return fmt.Errorf("the function %s is not allowed", name)
		}
	}
	return nil
}
