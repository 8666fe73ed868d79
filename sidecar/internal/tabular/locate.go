package tabular

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset"
)

// Locator gives DuckDB a local path for a blob. On a store of local files (blob/fs) it is the blob's own file,
// read in place; otherwise (MinIO/S3) a copy in a local cache keyed by digest — blobs are immutable, so a copy
// never goes stale — bounded in bytes: the least recently used copies not in use are removed first.
// Safe for concurrent use.
type Locator struct {
	store blob.Store
	local blob.LocalFiler
	dir   string
	limit int64

	mu      sync.Mutex
	entries map[string]*cached
	total   int64
}

type cached struct {
	size    int64
	pins    int
	used    time.Time
	ready   chan struct{} // closed once the copy is complete (or failed: err set)
	err     error
	present bool
}

// DefaultCacheBytes bounds the local copies of remote blobs unless NewLocator is told otherwise.
const DefaultCacheBytes = 4 << 30

// NewLocator returns a Locator over store. cacheDir holds copies of remote blobs (created, mode 0700; unused on
// a local store); limit bounds its size in bytes (0: DefaultCacheBytes).
func NewLocator(store blob.Store, cacheDir string, limit int64) (*Locator, error) {
	l := &Locator{store: store, dir: cacheDir, limit: limit, entries: map[string]*cached{}}
	if l.limit <= 0 {
		l.limit = DefaultCacheBytes
	}
	if lf, ok := store.(blob.LocalFiler); ok {
		l.local = lf
		return l, nil
	}
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("tabular cache: %w", err)
	}
	if err := l.adopt(); err != nil {
		return nil, err
	}
	return l, nil
}

// adopt accounts for the copies a previous run left (complete ones only: partial copies have a temp name).
func (l *Locator) adopt() error {
	des, err := os.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("tabular cache: %w", err)
	}
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".tmp-") {
			_ = os.Remove(filepath.Join(l.dir, name))
			continue
		}
		fi, err := de.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		ready := make(chan struct{})
		close(ready)
		l.entries[name] = &cached{size: fi.Size(), used: fi.ModTime(), ready: ready, present: true}
		l.total += fi.Size()
	}
	return nil
}

// Dirs lists the directories whose files Locator paths point into: what DuckDB must be allowed to read.
func (l *Locator) Dirs() []string {
	if l.local != nil {
		return []string{l.local.ObjectsDir()}
	}
	return []string{l.dir}
}

// Path returns a local file holding the blob with digest ("sha256:<hex>") and size, and a release function to
// call once the reader is done with it (the copy is not evicted before). Errors: ErrDataLoss when the blob is
// missing or does not match its digest; the store's errors.
func (l *Locator) Path(ctx context.Context, digest string, size int64) (string, func(), error) {
	hexd, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hexd) != 64 {
		return "", nil, fmt.Errorf("%q is not a sha256 digest: %w", digest, apierr.ErrDataLoss)
	}
	if l.local != nil {
		p, err := l.local.LocalPath(dataset.BlobKey(digest))
		return p, func() {}, err
	}
	l.mu.Lock()
	e, ok := l.entries[hexd]
	if !ok || (e.err != nil && isDone(e.ready)) {
		e = &cached{size: size, ready: make(chan struct{})}
		l.entries[hexd] = e
		go l.fill(hexd, digest, e)
	}
	e.pins++
	e.used = time.Now()
	l.mu.Unlock()
	release := func() { l.release(e) }
	select {
	case <-e.ready:
	case <-ctx.Done():
		release()
		return "", nil, ctx.Err()
	}
	if e.err != nil {
		release()
		return "", nil, e.err
	}
	return filepath.Join(l.dir, hexd), release, nil
}

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func (l *Locator) release(e *cached) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.pins--
	l.evict()
}

// fill copies the blob into the cache, verifying its digest. It runs detached from the caller's context so
// that one impatient reader does not fail the others waiting for the same copy.
func (l *Locator) fill(hexd, digest string, e *cached) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	n, err := l.copy(ctx, hexd, digest)
	l.mu.Lock()
	defer l.mu.Unlock()
	e.err = err
	if err == nil {
		e.size, e.present = n, true
		l.total += n
		l.evict()
	}
	close(e.ready)
}

func (l *Locator) copy(ctx context.Context, hexd, digest string) (int64, error) {
	rc, _, err := l.store.Get(ctx, dataset.BlobKey(digest), blob.GetOptions{})
	if errors.Is(err, apierr.ErrNotFound) {
		return 0, fmt.Errorf("blob %s is missing from the store: %w", digest, apierr.ErrDataLoss)
	}
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	f, err := os.CreateTemp(l.dir, ".tmp-")
	if err != nil {
		return 0, fmt.Errorf("tabular cache: %w", err)
	}
	defer os.Remove(f.Name()) // no-op after the rename
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("copying blob %s to the local cache: %w", digest, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != hexd {
		return 0, fmt.Errorf("blob %s has digest sha256:%s in the store: %w", digest, got, apierr.ErrDataLoss)
	}
	if err := os.Rename(f.Name(), filepath.Join(l.dir, hexd)); err != nil {
		return 0, fmt.Errorf("tabular cache: %w", err)
	}
	return n, nil
}

// evict removes the least recently used copies nobody holds until the cache fits its limit. Called with mu.
func (l *Locator) evict() {
	if l.total <= l.limit {
		return
	}
	var idle []string
	for k, e := range l.entries {
		if e.pins == 0 && e.present {
			idle = append(idle, k)
		}
	}
	sort.Slice(idle, func(i, j int) bool { return l.entries[idle[i]].used.Before(l.entries[idle[j]].used) })
	for _, k := range idle {
		if l.total <= l.limit {
			return
		}
		e := l.entries[k]
		if err := os.Remove(filepath.Join(l.dir, k)); err != nil && !os.IsNotExist(err) {
			continue
		}
		l.total -= e.size
		delete(l.entries, k)
	}
}

// CachedBytes is the size of the local copies (0 on a local store).
func (l *Locator) CachedBytes() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}
