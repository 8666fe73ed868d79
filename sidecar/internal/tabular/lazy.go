package tabular

import (
	"context"
	"database/sql"
	"sync"
)

// LazyDB opens a locked-down DuckDB on first use, so that a sidecar that never reads a table pays neither the
// memory nor the start-up time of one (docs/benchmarks.md: a sidecar runs per user). Safe for concurrent use.
type LazyDB struct {
	opts DuckOptions
	mu   sync.Mutex
	db   *sql.DB
}

// NewLazyDB returns a LazyDB that opens with opts.
func NewLazyDB(opts DuckOptions) *LazyDB { return &LazyDB{opts: opts} }

// FixedDB wraps an open database as a LazyDB.
func FixedDB(db *sql.DB) *LazyDB { return &LazyDB{db: db} }

// Get returns the database, opening it on the first call (a failed open is retried by the next call).
func (l *LazyDB) Get(ctx context.Context) (*sql.DB, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.db == nil {
		db, err := OpenDuckDB(ctx, l.opts)
		if err != nil {
			return nil, err
		}
		l.db = db
	}
	return l.db, nil
}

// Opened returns the database if it was opened, else nil.
func (l *LazyDB) Opened() *sql.DB {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.db
}

// Close closes the database if it was opened.
func (l *LazyDB) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.db == nil {
		return nil
	}
	err := l.db.Close()
	l.db = nil
	return err
}
