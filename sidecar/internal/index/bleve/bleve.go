// Package bleve is the embedded index.Index: a bleve (scorch) index in the data directory, nothing to install.
//
// # Layout and generations
//
//	<dir>/CURRENT        the name of the generation in use, replaced atomically (write + rename)
//	<dir>/gen-<n>/       one complete bleve index
//
// Rebuild fills gen-<n+1> beside the current one while searches keep using gen-<n>, then swaps CURRENT and
// removes gen-<n>: a rebuild never takes the index offline. A generation built with another mapping version
// is rebuilt empty at open (the catch-up fills it from the store).
//
// A bleve index belongs to one process at a time (its bolt root file is locked); a second process opening it
// fails after a short wait with a clear error instead of hanging.
package bleve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	blv "github.com/blevesearch/bleve/v2"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/index"
)

// Index is the bleve backend. Open it with New; it is safe for concurrent use.
type Index struct {
	dir string
	log *slog.Logger

	mu       sync.RWMutex // guards the generation pointers; held for reading by every operation
	gen      int
	cur      blv.Index
	building blv.Index // the generation a Rebuild is filling, or nil
	closed   bool

	rebuildMu sync.Mutex // one Rebuild at a time

	facets catalogFacets // the whole catalog's facet counts, between writes
}

var _ index.Index = (*Index)(nil)

// Option configures New.
type Option func(*Index)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(i *Index) { i.log = l } }

// New opens the index in dir, creating it if needed.
func New(dir string, opts ...Option) (*Index, error) {
	ix := &Index{dir: dir, log: slog.Default()}
	for _, o := range opts {
		o(ix)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("index directory: %w", err)
	}
	gen, err := ix.readCurrent()
	if err != nil {
		return nil, err
	}
	if gen == 0 {
		gen = 1
	}
	b, err := openGen(ix.genDir(gen))
	if err != nil {
		return nil, err
	}
	if err := ix.writeCurrent(gen); err != nil {
		_ = b.Close()
		return nil, err
	}
	ix.gen, ix.cur = gen, b
	ix.removeStale()
	return ix, nil
}

func (ix *Index) genDir(n int) string { return filepath.Join(ix.dir, "gen-"+strconv.Itoa(n)) }

func (ix *Index) readCurrent() (int, error) {
	b, err := os.ReadFile(filepath.Join(ix.dir, "CURRENT"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("index: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(string(b)), "gen-"))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("index: %s/CURRENT holds %q, not a generation", ix.dir, b)
	}
	return n, nil
}

func (ix *Index) writeCurrent(n int) error {
	tmp := filepath.Join(ix.dir, "CURRENT.tmp")
	if err := os.WriteFile(tmp, []byte("gen-"+strconv.Itoa(n)+"\n"), 0o644); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(ix.dir, "CURRENT")); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return nil
}

// removeStale deletes generations other than the current one (left by a rebuild that crashed).
func (ix *Index) removeStale() {
	entries, _ := os.ReadDir(ix.dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "gen-") && e.Name() != filepath.Base(ix.genDir(ix.gen)) {
			if err := os.RemoveAll(filepath.Join(ix.dir, e.Name())); err != nil {
				ix.log.Warn("index: cannot remove a stale generation", "dir", e.Name(), "err", err)
			}
		}
	}
}

// openGen opens or creates one generation; one with an older mapping is replaced by an empty one.
func openGen(dir string) (blv.Index, error) {
	b, err := blv.OpenUsing(dir, map[string]any{"bolt_timeout": "2s"})
	if err == nil {
		if v, _ := b.GetInternal([]byte("kamld_mapping")); string(v) == mappingVersion {
			return b, nil
		}
		_ = b.Close()
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
	} else if !errors.Is(err, blv.ErrorIndexPathDoesNotExist) {
		return nil, fmt.Errorf("index %s: %w (is another kamld using this data directory?)", dir, err)
	}
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	b, err = blv.NewUsing(dir, m, blv.Config.DefaultIndexType, blv.Config.DefaultKVStore, map[string]any{"bolt_timeout": "2s"})
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", dir, err)
	}
	if err := b.SetInternal([]byte("kamld_mapping"), []byte(mappingVersion)); err != nil {
		_ = b.Close()
		return nil, err
	}
	return b, nil
}

// Name implements backend.Backend.
func (ix *Index) Name() string { return "bleve" }

// Location implements backend.Backend.
func (ix *Index) Location() string { return ix.dir }

// Health implements backend.Backend: the current generation answers a document count.
func (ix *Index) Health(context.Context) error {
	return ix.read(func(b blv.Index) error {
		_, err := b.DocCount()
		return err
	})
}

// Close implements backend.Backend.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	return ix.cur.Close()
}

// read runs fn on the current generation.
func (ix *Index) read(fn func(blv.Index) error) error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return fmt.Errorf("bleve index is closed: %w", apierr.ErrUnavailable)
	}
	return fn(ix.cur)
}

// write runs fn on the current generation and on the one being built, if any.
func (ix *Index) write(fn func(blv.Index) error) error {
	defer ix.facets.writing()()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return fmt.Errorf("bleve index is closed: %w", apierr.ErrUnavailable)
	}
	if err := fn(ix.cur); err != nil {
		return err
	}
	if ix.building != nil {
		return fn(ix.building)
	}
	return nil
}

// Upsert implements index.Writer.
func (ix *Index) Upsert(_ context.Context, docs ...*index.Document) error {
	return ix.write(func(b blv.Index) error { return upsert(b, docs) })
}

// Delete implements index.Writer.
func (ix *Index) Delete(_ context.Context, ids ...string) error {
	return ix.write(func(b blv.Index) error { return remove(b, ids) })
}

func upsert(b blv.Index, docs []*index.Document) error {
	batch := b.NewBatch()
	for _, d := range docs {
		fields, err := fieldsOf(d)
		if err != nil {
			return err
		}
		if err := batch.Index(d.ID, fields); err != nil {
			return fmt.Errorf("index %s: %w", d.ID, err)
		}
	}
	return b.Batch(batch)
}

func remove(b blv.Index, ids []string) error {
	batch := b.NewBatch()
	for _, id := range ids {
		batch.Delete(id)
	}
	return b.Batch(batch)
}

// genWriter writes into a generation being built.
type genWriter struct{ b blv.Index }

func (w genWriter) Upsert(_ context.Context, docs ...*index.Document) error { return upsert(w.b, docs) }
func (w genWriter) Delete(_ context.Context, ids ...string) error           { return remove(w.b, ids) }

// Rebuild implements index.Index.
func (ix *Index) Rebuild(ctx context.Context, fill func(context.Context, index.Writer) error) error {
	ix.rebuildMu.Lock()
	defer ix.rebuildMu.Unlock()
	ix.mu.RLock()
	next := ix.gen + 1
	ix.mu.RUnlock()
	dir := ix.genDir(next)
	_ = os.RemoveAll(dir)
	b, err := openGen(dir)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	ix.building = b
	ix.mu.Unlock()

	err = fill(ctx, genWriter{b})
	ix.mu.Lock()
	ix.building = nil
	if err == nil && ix.closed {
		err = fmt.Errorf("bleve index closed during rebuild: %w", apierr.ErrUnavailable)
	}
	if err == nil {
		err = ix.writeCurrent(next)
	}
	if err != nil {
		ix.mu.Unlock()
		_ = b.Close()
		_ = os.RemoveAll(dir)
		return err
	}
	old, oldGen := ix.cur, ix.gen
	done := ix.facets.writing()
	ix.cur, ix.gen = b, next
	done()
	ix.mu.Unlock()

	if err := old.Close(); err != nil {
		ix.log.Warn("index: closing the previous generation", "err", err)
	}
	if err := os.RemoveAll(ix.genDir(oldGen)); err != nil {
		ix.log.Warn("index: removing the previous generation", "err", err)
	}
	return nil
}
