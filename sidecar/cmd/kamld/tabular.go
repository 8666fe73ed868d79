package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// openTabular opens the tabular catalog over engine with its caches under the data directory, where `serve`
// and `reindex` must agree to find them. The caller closes the returned DuckDB.
func openTabular(ctx context.Context, cfg config.Config, engine *dataset.Engine, opts ...tabular.CatalogOption) (*tabular.Catalog, *tabular.LazyDB, error) {
	catalog, duck, err := tabular.OpenCatalog(ctx, engine, filepath.Join(cfg.DataDir, "cache", "tabular"), cfg.SQL.DuckDB, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("tabular: %w", err)
	}
	return catalog, duck, nil
}
