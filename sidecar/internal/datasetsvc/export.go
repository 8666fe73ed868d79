package datasetsvc

import (
	"context"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// SnapshotProto is the message SnapshotService returns for s, with its tables from catalog (nil: without), for
// other services that take snapshots (QueryService.SaveQueryResult).
func SnapshotProto(ctx context.Context, catalog *tabular.Catalog, id string, s *dataset.Snapshot) *kamldv1.Snapshot {
	return options{tables: catalog}.withTables(ctx, id, s, toSnapshot(s))
}

// FileInfoProto is the message FileService returns for f.
func FileInfoProto(f *dataset.FileInfo) *kamldv1.FileInfo { return toFileInfo(f) }
