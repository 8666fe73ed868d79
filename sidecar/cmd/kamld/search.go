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
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// newEngine builds the dataset engine. When the configured index backend is built, the engine keeps it in step
// (search.Syncer); searchOpts, called once the tabular catalog exists, starts the catch-up until ctx ends and
// serves SearchService.
func newEngine(ctx context.Context, store blob.Store, backends *backend.Set, log *slog.Logger) (*dataset.Engine, func(*tabular.Catalog) []server.Option) {
	ix, ok := backends.Get(backend.Index).(index.Index)
	if !ok {
		return dataset.New(store), func(*tabular.Catalog) []server.Option { return nil }
	}
	syncer := search.NewSyncer(store, ix, search.WithSyncLogger(log))
	engine := dataset.New(store, dataset.WithObserver(syncer.Observer))
	return engine, func(catalog *tabular.Catalog) []server.Option {
		syncer.SetSchema(search.TabularSchema(engine, catalog))
		syncer.Start(ctx)
		return []server.Option{server.WithSearch(search.NewService(ix))}
	}
}
