package tabular

import (
	"context"
	"database/sql"
	"path/filepath"

	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
)

// OpenCatalog builds the whole extraction stack for engine's store: a Locator caching remote blobs under
// cacheDir/blobs (bounded by cfg.CacheBytes), a locked-down DuckDB (memory bounded by cfg.MemoryLimit), an
// Extractor and a Catalog. Close the returned DB when done.
func OpenCatalog(ctx context.Context, engine *dataset.Engine, cacheDir string, cfg config.DuckDB, opts ...CatalogOption) (*Catalog, *sql.DB, error) {
	loc, err := NewLocator(engine.Blobs(), filepath.Join(cacheDir, "blobs"), cfg.CacheBytes)
	if err != nil {
		return nil, nil, err
	}
	db, err := OpenDuckDB(ctx, DuckOptions{ReadDirs: loc.Dirs(), MemoryLimit: cfg.MemoryLimit, Threads: 1})
	if err != nil {
		return nil, nil, err
	}
	return NewCatalog(engine, NewExtractor(db, loc), opts...), db, nil
}
