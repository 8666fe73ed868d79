package tabular

import (
	"path"
	"sort"
	"strings"
)

// TableName is the SQL name of the table for a file or folder path: the path without its extension, with '/'
// replaced by "__" ("raw/2024.csv" → "raw__2024").
func TableName(p string) string {
	base := path.Base(p)
	if ext := path.Ext(base); ext != "" && ext != base {
		p = strings.TrimSuffix(p, ext)
	}
	return strings.ReplaceAll(p, "/", "__")
}

// Tables groups a state's files into the tables SQL sees, sorted by name:
//   - each readable file is a table named by TableName;
//   - a folder holding two or more files whose names start with "part" (as Spark, DuckDB, pandas and Trino
//     write them), all of one format and one schema, is one table named by the folder, and those parts are not
//     tables of their own;
//   - files that could not be parsed are left out; files still pending extraction are tables without columns;
//   - when two tables would get the same name (iris.csv beside iris.parquet), each gets its format as a suffix
//     ("iris_csv", "iris_parquet").
func Tables(files []File) []Table {
	byDir := map[string][]File{}
	var out []Table
	for _, f := range files {
		if f.Error != "" {
			continue
		}
		dir := path.Dir(f.Path)
		if dir != "." && strings.HasPrefix(strings.ToLower(path.Base(f.Path)), "part") {
			byDir[dir] = append(byDir[dir], f)
			continue
		}
		out = append(out, fileTable(f))
	}
	for dir, parts := range byDir {
		if t, ok := partsTable(dir, parts); ok {
			out = append(out, t)
			continue
		}
		for _, f := range parts {
			out = append(out, fileTable(f))
		}
	}
	disambiguate(out)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func fileTable(f File) Table {
	t := Table{Name: TableName(f.Path), Path: f.Path, Format: f.Format, Files: []File{f}}
	if f.Schema != nil {
		t.Columns, t.RowCount = f.Schema.Columns, f.Schema.RowCount
	}
	return t
}

// partsTable makes one table of a folder's part files when they share format and schema. Its columns carry
// the summed null counts; min, max, distinct estimates and samples are per file and not merged.
func partsTable(dir string, parts []File) (Table, bool) {
	if len(parts) < 2 {
		return Table{}, false
	}
	first := parts[0]
	for _, f := range parts {
		if f.Schema == nil || f.Format != first.Format || !sameColumns(f.Schema.Columns, first.Schema.Columns) {
			return Table{}, false
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Path < parts[j].Path })
	t := Table{Name: strings.ReplaceAll(dir, "/", "__"), Path: dir, Format: first.Format, Files: parts}
	for i, c := range first.Schema.Columns {
		col := Column{Name: c.Name, Type: c.Type, Stats: &ColumnStats{}}
		for _, f := range parts {
			fc := f.Schema.Columns[i]
			col.Nullable = col.Nullable || fc.Nullable
			if fc.Stats != nil {
				col.Stats.NullCount += fc.Stats.NullCount
			}
		}
		t.Columns = append(t.Columns, col)
	}
	for _, f := range parts {
		t.RowCount += f.Schema.RowCount
	}
	return t, true
}

func sameColumns(a, b []Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Type != b[i].Type {
			return false
		}
	}
	return true
}

func disambiguate(ts []Table) {
	count := map[string]int{}
	for _, t := range ts {
		count[strings.ToLower(t.Name)]++
	}
	for i := range ts {
		if count[strings.ToLower(ts[i].Name)] > 1 {
			ts[i].Name += "_" + string(ts[i].Format)
		}
	}
}

// RowCount sums the row counts of the tables whose rows were counted.
func RowCount(ts []Table) int64 {
	var n int64
	for _, t := range ts {
		n += t.RowCount
	}
	return n
}
