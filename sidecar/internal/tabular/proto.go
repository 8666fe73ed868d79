package tabular

import kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"

// ToProto converts tables to their API form.
func ToProto(ts []Table) []*kamldv1.Table {
	var out []*kamldv1.Table
	for _, t := range ts {
		out = append(out, &kamldv1.Table{Name: t.Name, Path: t.Path, Format: string(t.Format), Columns: ColumnsToProto(t.Columns), RowCount: t.RowCount})
	}
	return out
}

// ColumnsToProto converts columns to their API form.
func ColumnsToProto(cs []Column) []*kamldv1.Column {
	var out []*kamldv1.Column
	for _, c := range cs {
		pc := &kamldv1.Column{Name: c.Name, Type: c.Type, Nullable: c.Nullable}
		if s := c.Stats; s != nil {
			pc.Stats = &kamldv1.ColumnStats{NullCount: s.NullCount, Min: s.Min, Max: s.Max, DistinctEstimate: s.DistinctEstimate, Samples: s.Samples}
		}
		out = append(out, pc)
	}
	return out
}

// RowCount sums the row counts of the tables whose rows were counted.
func RowCount(ts []Table) int64 {
	var n int64
	for _, t := range ts {
		n += t.RowCount
	}
	return n
}
