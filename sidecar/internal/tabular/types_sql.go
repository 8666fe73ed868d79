package tabular

import (
	"regexp"
	"strings"
)

var decimalRE = regexp.MustCompile(`^DECIMAL\(\d+,\s*\d+\)$`)

// NormalizeType maps a DuckDB type name to the SQL dialect kamld reports and both engines accept (common.proto
// Column.type): BOOLEAN, BIGINT, DOUBLE, DECIMAL(p,s), VARCHAR, DATE, TIMESTAMP, TIMESTAMP WITH TIME ZONE,
// TIME, BLOB, ARRAY(t) and STRUCT(…). Integers widen to BIGINT and floats to DOUBLE so that the same file has the
// same types on every engine; unsigned 64-bit and 128-bit integers become DECIMAL(38,0) to keep their range.
// It also returns the DuckDB type to CAST a column to so that DuckDB's results have exactly that type.
func NormalizeType(duck string) (dialect, cast string) {
	t := strings.ToUpper(strings.TrimSpace(duck))
	if inner, ok := strings.CutSuffix(t, "[]"); ok {
		d, c := NormalizeType(inner)
		return "ARRAY(" + d + ")", c + "[]"
	}
	switch t {
	case "BOOLEAN":
		return t, t
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER":
		return "BIGINT", "BIGINT"
	case "UBIGINT", "HUGEINT", "UHUGEINT":
		return "DECIMAL(38,0)", "DECIMAL(38,0)"
	case "FLOAT", "DOUBLE":
		return "DOUBLE", "DOUBLE"
	case "DATE", "TIME", "BLOB":
		return t, t
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS":
		return "TIMESTAMP", "TIMESTAMP"
	case "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ":
		return "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"
	}
	if decimalRE.MatchString(t) {
		return strings.ReplaceAll(t, " ", ""), t
	}
	if strings.HasPrefix(t, "STRUCT(") {
		return duck, duck
	}
	// VARCHAR, UUID, JSON, INTERVAL, ENUM, MAP, UNION, BIT…: text keeps every value readable on every engine.
	return "VARCHAR", "VARCHAR"
}

// orderable reports whether min/max mean something for a dialect type.
func orderable(dialect string) bool {
	return !strings.HasPrefix(dialect, "ARRAY(") && !strings.HasPrefix(dialect, "STRUCT(") && dialect != "BLOB"
}
