package tabular_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/tabular"
)

func schema(f tabular.Format, rows int64, cols ...string) *tabular.FileSchema {
	s := &tabular.FileSchema{Format: f, RowCount: rows}
	for _, c := range cols {
		s.Columns = append(s.Columns, tabular.Column{Name: c, Type: "BIGINT", Stats: &tabular.ColumnStats{NullCount: 1}})
	}
	return s
}

func TestTableNamesAndParts(t *testing.T) {
	files := []tabular.File{
		{Path: "train.csv", Format: tabular.CSV, Schema: schema(tabular.CSV, 3, "a")},
		{Path: "raw/2024.csv", Format: tabular.CSV, Schema: schema(tabular.CSV, 3, "a")},
		{Path: "events/part-0000.parquet", Format: tabular.Parquet, Schema: schema(tabular.Parquet, 10, "x", "y")},
		{Path: "events/part-0001.parquet", Format: tabular.Parquet, Schema: schema(tabular.Parquet, 5, "x", "y")},
		{Path: "mixed/part-0.parquet", Format: tabular.Parquet, Schema: schema(tabular.Parquet, 1, "x")},
		{Path: "mixed/part-1.parquet", Format: tabular.Parquet, Schema: schema(tabular.Parquet, 1, "z")},
		{Path: "iris.csv", Format: tabular.CSV, Schema: schema(tabular.CSV, 1, "a")},
		{Path: "iris.parquet", Format: tabular.Parquet, Schema: schema(tabular.Parquet, 1, "a")},
		{Path: "broken.csv", Format: tabular.CSV, Error: "cannot read"},
	}
	var names []string
	byName := map[string]tabular.Table{}
	for _, tb := range tabular.Tables(files) {
		names = append(names, tb.Name)
		byName[tb.Name] = tb
	}
	require.Equal(t, []string{"events", "iris_csv", "iris_parquet", "mixed__part-0", "mixed__part-1", "raw__2024", "train"}, names)
	ev := byName["events"]
	require.Equal(t, "events", ev.Path)
	require.EqualValues(t, 15, ev.RowCount)
	require.Len(t, ev.Files, 2)
	require.EqualValues(t, 2, ev.Columns[0].Stats.NullCount, "null counts add up over parts")
}

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct {
		path, mt string
		want     tabular.Format
		ok       bool
	}{
		{"a.csv", "", tabular.CSV, true},
		{"A.CSV", "", tabular.CSV, true},
		{"a.tsv", "", tabular.TSV, true},
		{"x/a.parquet", "", tabular.Parquet, true},
		{"a.ndjson", "", tabular.JSONL, true},
		{"data", "text/csv; charset=utf-8", tabular.CSV, true},
		{"a.json", "application/json", "", false},
		{"img.png", "image/png", "", false},
	} {
		f, ok := tabular.DetectFormat(tc.path, tc.mt)
		require.Equal(t, tc.ok, ok, tc.path)
		require.Equal(t, tc.want, f, tc.path)
	}
}

func TestNormalizeType(t *testing.T) {
	for in, want := range map[string]string{
		"INTEGER": "BIGINT", "FLOAT": "DOUBLE", "DECIMAL(10, 2)": "DECIMAL(10,2)", "TIMESTAMP_NS": "TIMESTAMP",
		"VARCHAR": "VARCHAR", "UUID": "VARCHAR", "INTEGER[]": "ARRAY(BIGINT)", "UBIGINT": "DECIMAL(38,0)", "DATE": "DATE",
	} {
		got, _ := tabular.NormalizeType(in)
		require.Equal(t, want, got, in)
	}
}

func TestCleanError(t *testing.T) {
	msg := "IO Error: No files found that match the pattern \"/home/u/.cache/kamld/abc/data\"\n\nLINE 1: x"
	require.Equal(t, `No files found that match the pattern "<file>"`, tabular.CleanError(msg))
}
