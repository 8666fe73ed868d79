package datasetsvc

import (
	"context"
	"log/slog"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// Option configures the services of this package.
type Option func(*options)

type options struct {
	tables *tabular.Catalog
}

// WithTables makes snapshots and datasets carry their tabular files' schemas, extracted by catalog when a
// snapshot is taken (and on first read for snapshots taken before).
func WithTables(catalog *tabular.Catalog) Option { return func(o *options) { o.tables = catalog } }

func newOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// withTables adds the snapshot's tables and row count to out. Schemas are derived data: when they cannot be
// computed now (a store hiccup), the snapshot is still answered, without them, and the failure logged.
func (o options) withTables(ctx context.Context, id string, s *dataset.Snapshot, out *kamldv1.Snapshot) *kamldv1.Snapshot {
	tables := o.tablesOf(ctx, id, s)
	if tables != nil {
		out.Tables = TablesToProto(tables)
		out.Stats.RowCount = tabular.RowCount(tables)
	}
	return out
}

func (o options) tablesOf(ctx context.Context, id string, s *dataset.Snapshot) []tabular.Table {
	if o.tables == nil || s == nil {
		return nil
	}
	files, err := o.tables.SnapshotFiles(ctx, id, s)
	if err != nil {
		slog.WarnContext(ctx, "snapshot tables unavailable", "dataset", id, "snapshot", s.ID, "err", err)
		return nil
	}
	return tabular.Tables(files)
}

// withHeadTables adds the head snapshot's tables to a dataset.
func (o options) withHeadTables(ctx context.Context, engine *dataset.Engine, d *dataset.Dataset, out *kamldv1.Dataset) *kamldv1.Dataset {
	if o.tables == nil || d.HeadSnapshot == "" {
		return out
	}
	s, err := engine.GetSnapshot(ctx, d.ID, d.HeadSnapshot)
	if err != nil {
		slog.WarnContext(ctx, "head snapshot unavailable for its tables", "dataset", d.ID, "err", err)
		return out
	}
	if tables := o.tablesOf(ctx, d.ID, s); tables != nil {
		out.Tables = TablesToProto(tables)
		out.Stats.RowCount = tabular.RowCount(tables)
	}
	return out
}
