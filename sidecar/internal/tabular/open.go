package tabular

import (
	"context"
	"path/filepath"

	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
)

// OpenCatalog builds the whole extraction stack for engine's store: a Locator caching remote blobs under
// cacheDir/blobs (bounded by cfg.CacheBytes), a locked-down DuckDB (memory bounded by cfg.MemoryLimit), an
// Extractor and a Catalog. DuckDB opens on first use and closes after cfg.IdleClose unused; close the returned LazyDB when done.
func OpenCatalog(_ context.Context, engine *dataset.Engine, cacheDir string, cfg config.DuckDB, opts ...CatalogOption) (*Catalog, *LazyDB, error) {
	loc, err := NewLocator(engine.Blobs(), filepath.Join(cacheDir, "blobs"), int64(cfg.CacheBytes))
	if err != nil {
		return nil, nil, err
	}
	db := NewLazyDB(DuckOptions{ReadDirs: loc.Dirs(), MemoryLimit: cfg.MemoryLimit, Threads: 1}, cfg.IdleClose)
	return NewCatalog(engine, NewLazyExtractor(db, loc), opts...), db, nil
}
