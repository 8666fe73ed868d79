package main

import (
	"context"
	"log/slog"

	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/search"
	"github.com/kamld/kamld/sidecar/internal/server"
)

// newEngine builds the dataset engine; when the configured index backend is built, the engine keeps it in
// step (search.Syncer), a goroutine catches it up until ctx ends, and SearchService is served.
func newEngine(ctx context.Context, store blob.Store, backends *backend.Set, log *slog.Logger) (*dataset.Engine, []server.Option) {
	ix, ok := backends.Get(backend.Index).(index.Index)
	if !ok {
		return dataset.New(store), nil
	}
	engine, _ := search.Start(ctx, store, ix, search.WithSyncLogger(log), search.WithSchema(schemaSource(store)))
	return engine, []server.Option{server.WithSearch(search.NewService(ix))}
}

// schemaSource supplies columns and row counts to search documents once metadata extraction stores them
// with snapshots; until then documents carry none.
func schemaSource(blob.Store) search.SchemaFunc { return nil }
