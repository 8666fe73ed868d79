package search

import (
	"context"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// TabularSchema reads columns and row counts from the schemas the tabular catalog keeps with each snapshot
// (extracted when the snapshot was taken, or now for one taken before). A column found in several tables is
// listed once, with the type of its first table.
func TabularSchema(engine *dataset.Engine, catalog *tabular.Catalog) SchemaFunc {
	return func(ctx context.Context, id, snapshotID string) ([]index.Column, int64, error) {
		s, err := engine.GetSnapshot(ctx, id, snapshotID)
		if err != nil {
			return nil, 0, err
		}
		files, err := catalog.SnapshotFiles(ctx, id, s)
		if err != nil {
			return nil, 0, err
		}
		tables := tabular.Tables(files)
		seen := map[string]bool{}
		var cols []index.Column
		for _, t := range tables {
			for _, c := range t.Columns {
				if key := strings.ToLower(c.Name); !seen[key] {
					seen[key] = true
					cols = append(cols, index.Column{Name: c.Name, Type: c.Type})
				}
			}
		}
		return cols, tabular.RowCount(tables), nil
	}
}
