package tabular

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/kamld/kamld/sidecar/internal/memory"
)

// LazyDB opens a locked-down DuckDB on first use, so that a sidecar that never reads a table pays neither the
// memory nor the start-up time of one, and closes it again once no one has used it for an idle period, giving
// its memory back (docs/benchmarks.md: a sidecar runs per user and is idle most of the time). Safe for
// concurrent use: a database in use (between Acquire and its release) is never closed under its user.
type LazyDB struct {
	opts  DuckOptions
	idle  time.Duration // 0: stays open until Close
	mu    sync.Mutex
	db    *sql.DB
	users int
	timer *time.Timer
	gen   int // counts idle timers armed, so that a stale one does nothing
	fixed bool
}

// NewLazyDB returns a LazyDB that opens with opts and closes after idle without users (0: never).
func NewLazyDB(opts DuckOptions, idle time.Duration) *LazyDB { return &LazyDB{opts: opts, idle: idle} }

// FixedDB wraps an open database as a LazyDB that never closes it on its own.
func FixedDB(db *sql.DB) *LazyDB { return &LazyDB{db: db, fixed: true} }

// Acquire returns the database, opening it if it is not open (a failed open is retried by the next call), and
// a release to call once the caller is done with it and everything taken from it (connections, rows). Release
// is idempotent.
func (l *LazyDB) Acquire(ctx context.Context) (*sql.DB, func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.db == nil {
		db, err := OpenDuckDB(ctx, l.opts)
		if err != nil {
			return nil, nil, err
		}
		l.db = db
	}
	return l.db, l.use(), nil
}

// AcquireOpened is Acquire for a database that is open now; it returns nil and opens nothing otherwise.
func (l *LazyDB) AcquireOpened() (*sql.DB, func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.db == nil {
		return nil, func() {}
	}
	return l.db, l.use()
}

// Opened reports whether the database is open now.
func (l *LazyDB) Opened() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.db != nil
}

// use counts a user and returns its release; l.mu is held.
func (l *LazyDB) use() func() {
	l.users++
	l.gen++ // a timer already firing finds it stale
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	var once sync.Once
	return func() { once.Do(l.release) }
}

func (l *LazyDB) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.users--
	if l.users > 0 || l.idle <= 0 || l.fixed || l.db == nil {
		return
	}
	l.gen++
	gen := l.gen
	l.timer = time.AfterFunc(l.idle, func() { l.closeIdle(gen) })
}

// closeIdle closes the database if no one acquired it since timer gen was armed, then gives the memory back.
func (l *LazyDB) closeIdle(gen int) {
	l.mu.Lock()
	if gen != l.gen || l.users > 0 || l.db == nil {
		l.mu.Unlock()
		return
	}
	db := l.db
	l.db, l.timer = nil, nil
	l.mu.Unlock()
	_ = db.Close()
	memory.Release()
}

// Close closes the database if it is open. Users still holding it see their calls fail.
func (l *LazyDB) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.gen++
	if l.db == nil {
		return nil
	}
	err := l.db.Close()
	l.db = nil
	return err
}
