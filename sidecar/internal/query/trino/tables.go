package trino

import "github.com/kamld/kamld/sidecar/internal/tabular"

// fromTabular describes the tables of a dataset state, as the tabular package groups and types them, for
// registration.
func fromTabular(ts []tabular.Table) []Table {
	out := make([]Table, 0, len(ts))
	for _, t := range ts {
		tt := Table{Name: t.Name, Format: Format(t.Format)}
		for _, c := range t.Columns {
			tt.Columns = append(tt.Columns, Column{Name: c.Name, Type: c.Type})
		}
		for _, f := range t.Files {
			tt.Digests = append(tt.Digests, f.Digest)
		}
		out = append(out, tt)
	}
	return out
}
