package trino

import (
	"fmt"
	"strconv"
	"strings"
)

// partColumn is the hidden partition column of a raw table made of several part files.
const partColumn = "kamld_part"

// quoteIdent quotes a Trino identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteString quotes a Trino string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// textual reports whether the format is read by Hive's CSV format, which supports only VARCHAR columns, by
// position: raw columns are then c1…cn and the view casts them.
func (f Format) textual() bool { return f == CSV || f == TSV }

// hiveFormat is the Hive connector's format table property.
func (f Format) hiveFormat() string {
	switch f {
	case Parquet:
		return "PARQUET"
	case JSONL:
		return "JSON"
	}
	return "CSV"
}

// trinoType is the Trino type of a kamld dialect type (see Column), and whether Trino can hold it.
func trinoType(dialect string) (string, bool) {
	t := strings.ToUpper(strings.TrimSpace(dialect))
	if inner, ok := strings.CutPrefix(t, "ARRAY("); ok && strings.HasSuffix(inner, ")") {
		e, ok := trinoType(strings.TrimSuffix(inner, ")"))
		return "array(" + e + ")", ok
	}
	switch {
	case t == "BOOLEAN", t == "BIGINT", t == "DOUBLE", t == "VARCHAR", t == "DATE":
		return strings.ToLower(t), true
	case t == "TIMESTAMP":
		return "timestamp(6)", true
	case t == "TIMESTAMP WITH TIME ZONE":
		return "timestamp(6) with time zone", true
	case t == "TIME":
		return "time(6)", true
	case t == "BLOB":
		return "varbinary", true
	case strings.HasPrefix(t, "DECIMAL("):
		return strings.ToLower(t), true
	}
	return "", false // STRUCT(…) and anything unknown: kamld's dialect spells rows differently from Trino
}

// temporal reports whether a dialect type is a date or time type, which JSON lines carry as text.
func temporal(dialect string) bool {
	t := strings.ToUpper(dialect)
	return t == "DATE" || t == "TIME" || strings.HasPrefix(t, "TIMESTAMP")
}

// rawColumn is one column of a raw table and the expression the view selects for it.
type rawColumn struct {
	name, typ string // in the raw table
	expr      string // in the view, over the raw column
	as        string // the view's column name
}

// rawColumns plans the raw table's columns and the view's expressions. Columns Trino cannot hold are left out
// and returned in skipped.
func rawColumns(t Table) (cols []rawColumn, skipped []string) {
	for i, c := range t.Columns {
		typ, ok := trinoType(c.Type)
		if !ok {
			skipped = append(skipped, c.Name)
			continue
		}
		switch {
		case t.Format.textual():
			// Hive's CSV format reads text by position; an empty field is NULL, as in DuckDB.
			raw := "c" + strconv.Itoa(i+1)
			cols = append(cols, rawColumn{raw, "varchar", castText("nullif("+quoteIdent(raw)+", '')", typ), c.Name})
		case t.Format == JSONL && temporal(c.Type):
			// JSON has no date type: read the text and cast it as for CSV.
			cols = append(cols, rawColumn{c.Name, "varchar", castText(quoteIdent(c.Name), typ), c.Name})
		case typ == "time(6)":
			skipped = append(skipped, c.Name) // Hive tables have no TIME type
		case typ == "timestamp(6) with time zone":
			// Hive has no zoned timestamp either: Parquet's UTC-adjusted timestamps are read as UTC.
			cols = append(cols, rawColumn{c.Name, "timestamp(6)", "with_timezone(" + quoteIdent(c.Name) + ", 'UTC')", c.Name})
		default:
			cols = append(cols, rawColumn{c.Name, typ, quoteIdent(c.Name), c.Name})
		}
	}
	return cols, skipped
}

// castText converts a text expression to a Trino type. Timestamps may use 'T' or ' ' between date and time.
func castText(expr, typ string) string {
	switch {
	case typ == "varchar":
		return expr
	case typ == "varbinary":
		return "to_utf8(" + expr + ")"
	case strings.HasPrefix(typ, "timestamp"):
		return "CAST(replace(" + expr + ", 'T', ' ') AS " + typ + ")"
	case strings.HasPrefix(typ, "array("):
		return "CAST(json_parse(" + expr + ") AS " + typ + ")"
	}
	return "CAST(" + expr + " AS " + typ + ")"
}

// createRawTable is the DDL of t's raw table in catalog.files, reading in place under root (s3://bucket/prefix).
func createRawTable(catalog, root string, t Table, cols []rawColumn) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s.%s (", quoteIdent(catalog), quoteIdent(filesSchema), quoteIdent(rawTableName(t)))
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", quoteIdent(c.name), c.typ)
	}
	if len(t.Digests) > 1 {
		fmt.Fprintf(&b, ", %s varchar", partColumn)
	}
	// A partitioned table's own location is never read (its partitions have theirs); the first part's folder
	// is a location that surely exists.
	fmt.Fprintf(&b, ") WITH (external_location = %s, format = %s",
		quoteString(blobFolder(root, t.Digests[0])), quoteString(t.Format.hiveFormat()))
	if t.Format.textual() {
		b.WriteString(", skip_header_line_count = 1")
	}
	if t.Format == TSV {
		b.WriteString(", csv_separator = U&'\\0009'")
	}
	if len(t.Digests) > 1 {
		fmt.Fprintf(&b, ", partitioned_by = ARRAY[%s]", quoteString(partColumn))
	}
	b.WriteString(")")
	return b.String()
}

// registerPartition is the call that adds part i of t to its raw table.
func registerPartition(catalog, root string, t Table, i int) string {
	return fmt.Sprintf("CALL %s.system.register_partition(%s, %s, ARRAY[%s], ARRAY[%s], %s)",
		quoteIdent(catalog), quoteString(filesSchema), quoteString(rawTableName(t)),
		quoteString(partColumn), quoteString(strconv.Itoa(i)), quoteString(blobFolder(root, t.Digests[i])))
}

// createView is the DDL of t's view, next to its raw table: what it selects depends only on what the raw
// table's name is a digest of (format, column names and types, blobs), so every state reading that content
// shares the view.
func createView(catalog string, t Table, cols []rawColumn) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s.%s.%s AS SELECT ", quoteIdent(catalog), quoteIdent(filesSchema), quoteIdent(viewName(t)))
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s AS %s", c.expr, quoteIdent(c.as))
	}
	fmt.Fprintf(&b, " FROM %s.%s.%s", quoteIdent(catalog), quoteIdent(filesSchema), quoteIdent(rawTableName(t)))
	return b.String()
}
