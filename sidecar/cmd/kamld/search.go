package main

import (
	"context"
	"fmt"
	"log/slog"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/search"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// newEngine builds the dataset engine, kept in step with the configured index (search.Syncer); startSearch,
// called once the tabular catalog exists, starts the catch-up until ctx ends and returns SearchService.
func newEngine(ctx context.Context, store blob.Store, backends *backend.Set, log *slog.Logger) (*dataset.Engine, func(*tabular.Catalog) kamldv1.SearchServiceServer, error) {
	ix, ok := backends.Get(backend.Index).(index.Index)
	if !ok {
		return nil, nil, fmt.Errorf("the %s backend is not a search index", backends.Get(backend.Index).Name())
	}
	syncer := search.NewSyncer(store, ix, search.WithSyncLogger(log))
	engine := dataset.New(store, dataset.WithObserver(syncer.Observer))
	return engine, func(catalog *tabular.Catalog) kamldv1.SearchServiceServer {
		syncer.SetSchema(search.TabularSchema(engine, catalog))
		syncer.Start(ctx)
		return search.NewService(ix)
	}, nil
}
