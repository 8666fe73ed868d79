package trino

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTrinoTypes(t *testing.T) {
	for dialect, want := range map[string]string{
		"BOOLEAN": "boolean", "BIGINT": "bigint", "DOUBLE": "double", "VARCHAR": "varchar", "DATE": "date",
		"TIMESTAMP": "timestamp(6)", "TIMESTAMP WITH TIME ZONE": "timestamp(6) with time zone", "TIME": "time(6)",
		"BLOB": "varbinary", "DECIMAL(38,0)": "decimal(38,0)", "ARRAY(BIGINT)": "array(bigint)",
		"ARRAY(ARRAY(VARCHAR))": "array(array(varchar))",
	} {
		got, ok := trinoType(dialect)
		assert.True(t, ok, dialect)
		assert.Equal(t, want, got, dialect)
	}
	for _, dialect := range []string{"STRUCT(a BIGINT)", "ARRAY(STRUCT(a BIGINT))", "MAP(VARCHAR, BIGINT)"} {
		_, ok := trinoType(dialect)
		assert.False(t, ok, dialect)
	}
}

func TestRawColumnsByFormat(t *testing.T) {
	cols := []Column{{"When", "TIMESTAMP"}, {"n", "BIGINT"}, {"s", "STRUCT(a BIGINT)"}, {"t", "TIME"}}
	csv, skipped := rawColumns(Table{Format: CSV, Columns: cols})
	assert.Equal(t, []string{"s"}, skipped)
	assert.Equal(t, []rawColumn{
		{"c1", "varchar", `CAST(replace(nullif("c1", ''), 'T', ' ') AS timestamp(6))`, "When"},
		{"c2", "varchar", `CAST(nullif("c2", '') AS bigint)`, "n"},
		{"c4", "varchar", `CAST(nullif("c4", '') AS time(6))`, "t"},
	}, csv, "text is read by position and cast; positions skip nothing")

	pq, skipped := rawColumns(Table{Format: Parquet, Columns: cols})
	assert.Equal(t, []string{"s", "t"}, skipped, "Hive has no TIME type")
	assert.Equal(t, []rawColumn{{"When", "timestamp(6)", `"When"`, "When"}, {"n", "bigint", `"n"`, "n"}}, pq)

	js, _ := rawColumns(Table{Format: JSONL, Columns: cols})
	assert.Equal(t, rawColumn{"When", "varchar", `CAST(replace("When", 'T', ' ') AS timestamp(6))`, "When"}, js[0])
}

func TestDDLQuotesEverything(t *testing.T) {
	d := strings.Repeat("ab", 32)
	tbl := Table{Name: `we"ird`, Format: TSV, Columns: []Column{{`a"b`, "VARCHAR"}}, Digests: []string{"sha256:" + d, d}}
	cols, _ := rawColumns(tbl)
	ddl := createRawTable(`ca"t`, "s3://b/p/", tbl, cols)
	assert.Contains(t, ddl, `CREATE TABLE IF NOT EXISTS "ca""t"."kamld_files"."t_`)
	assert.Contains(t, ddl, `external_location = 's3://b/p/blobs/sha256/ab/`+d+`'`)
	assert.Contains(t, ddl, `csv_separator = U&'\0009'`)
	assert.Contains(t, ddl, `partitioned_by = ARRAY['kamld_part']`)
	view := createView(`ca"t`, tbl, cols)
	assert.Contains(t, view, `nullif("c1", '') AS "a""b"`)
	assert.Contains(t, view, `VIEW "ca""t"."kamld_files"."v_`)
	assert.Equal(t, `'it''s'`, quoteString("it's"))
	assert.Contains(t, registerPartition("kamld", "s3://b/p", tbl, 1), `ARRAY['1'], 's3://b/p/blobs/sha256/ab/`+d+`')`)
}

func TestNamesAreContentKeys(t *testing.T) {
	d1, d2 := strings.Repeat("a", 64), strings.Repeat("b", 64)
	a := Table{Name: "x", Format: CSV, Columns: []Column{{"c", "BIGINT"}}, Digests: []string{d1}}
	renamed := a
	renamed.Name = "y"
	other := a
	other.Digests = []string{d2}
	assert.Equal(t, rawTableName(a), rawTableName(renamed), "a raw table depends on content, not name")
	assert.NotEqual(t, rawTableName(a), rawTableName(other))
	assert.Equal(t, rawTableName(a), rawTableName(Table{Name: "x", Format: CSV, Columns: a.Columns, Digests: []string{"sha256:" + d1}}))
	assert.Equal(t, viewName(a), viewName(renamed), "so does its view: every state with that content shares it")
	assert.NotEqual(t, viewName(a), viewName(other))
	assert.True(t, strings.HasPrefix(viewName(a), "v_"), viewName(a))
	assert.True(t, validDigest("sha256:"+d1))
	assert.False(t, validDigest("sha256:"+strings.ToUpper(d1)))
	assert.False(t, validDigest("../../etc"))
}
