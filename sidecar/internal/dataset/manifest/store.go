package manifest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// ChunkPrefix is where leaves and roots live: chunks/sha256/<2 hex>/<64 hex>. Both are immutable and named by
// the digest of their bytes, so they are written create-only and shared by every snapshot (and dataset) that
// has the same content.
const ChunkPrefix = "chunks/sha256/"

// ChunkKey returns the key of the chunk with digest "sha256:<hex>".
func ChunkKey(digest string) (string, error) {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hex) != 64 {
		return "", fmt.Errorf("manifest: bad chunk digest %q: %w", digest, apierr.ErrDataLoss)
	}
	return ChunkPrefix + hex[:2] + "/" + hex, nil
}

// Store reads and writes trees in a blob store. It caches decoded leaves: they are immutable, so a cache can
// never be stale, and a snapshot of a large tree then reads only the leaves it has not seen. Safe for
// concurrent use.
type Store struct {
	blobs blob.Store
	cache *leafCache
	roots *leafCache // decoded roots, keyed by digest (immutable like leaves)
	reuse ReuseFunc
}

// ReuseFunc is called when a chunk about to be referenced is found stored already (info is its Stat), instead
// of writing it again. It must make sure the object survives garbage collection until the caller's reference
// is published — typically by writing it again (rewrite) if it is old; see the dataset package's doc. It
// returns an error if it cannot.
type ReuseFunc func(ctx context.Context, key string, info blob.Info, rewrite func(context.Context) error) error

// WithReuse sets what happens when a chunk to write exists already (default: nothing, the chunk is reused).
func WithReuse(f ReuseFunc) Option { return func(s *Store) { s.reuse = f } }

// Option configures a Store.
type Option func(*Store)

// WithLeafCache bounds the decoded-leaf cache to n leaves (default 256, about 150k entries); 0 disables it.
func WithLeafCache(n int) Option {
	return func(s *Store) { s.cache, s.roots = newLeafCache(n), newLeafCache(min(n, 64)) }
}

// NewStore returns a Store over blobs.
func NewStore(blobs blob.Store, opts ...Option) *Store {
	s := &Store{blobs: blobs, cache: newLeafCache(256), roots: newLeafCache(64)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// EmptyRoot is the digest of the tree with no entries.
var EmptyRoot = digestOf(encodeRoot(nil))

// Empty returns the tree with no entries.
func (s *Store) Empty() *Tree {
	return &Tree{s: s, pending: map[string]pendingLeaf{}, digest: EmptyRoot}
}

// Load reads the tree whose root has digest root. A missing root is ErrNotFound; a corrupt one ErrDataLoss.
func (s *Store) Load(ctx context.Context, root string) (*Tree, error) {
	if root == EmptyRoot || root == "" {
		return s.Empty(), nil
	}
	if v, ok := s.roots.getAny(root); ok {
		return &Tree{s: s, leaves: v.([]LeafRef), pending: map[string]pendingLeaf{}, digest: root}, nil
	}
	data, err := s.read(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("manifest root %s: %w", root, err)
	}
	leaves, err := decodeRoot(data)
	if err != nil {
		return nil, err
	}
	s.roots.putAny(root, leaves)
	return &Tree{s: s, leaves: leaves, pending: map[string]pendingLeaf{}, digest: root}, nil
}

func (s *Store) read(ctx context.Context, digest string) ([]byte, error) {
	key, err := ChunkKey(digest)
	if err != nil {
		return nil, err
	}
	rc, _, err := s.blobs.Get(ctx, key, blob.GetOptions{})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	if digestOf(data) != digest {
		return nil, fmt.Errorf("chunk %s does not match its digest: %w", digest, apierr.ErrDataLoss)
	}
	return data, nil
}

// write stores a chunk create-only; one that exists already is the same bytes (same digest), so that counts
// as done. It reports whether it wrote a new object.
func (s *Store) write(ctx context.Context, digest string, data []byte) (bool, error) {
	key, err := ChunkKey(digest)
	if err != nil {
		return false, err
	}
	if info, err := s.blobs.Stat(ctx, key); err == nil {
		if s.reuse == nil {
			return false, nil
		}
		return false, s.reuse(ctx, key, info, func(ctx context.Context) error {
			_, err := s.blobs.Put(ctx, key, bytes.NewReader(data), blob.PutOptions{})
			return err
		})
	}
	_, err = s.blobs.Put(ctx, key, bytes.NewReader(data), blob.PutOptions{IfNoneMatch: true})
	if errors.Is(err, apierr.ErrAlreadyExists) {
		return false, nil
	}
	return err == nil, err
}

// Leaf returns the entries of the leaf with the given digest (garbage collection walks trees leaf by leaf, so
// that a leaf shared by many snapshots is read once).
func (s *Store) Leaf(ctx context.Context, digest string) ([]Entry, error) { return s.leaf(ctx, digest) }

func (s *Store) leaf(ctx context.Context, digest string) ([]Entry, error) {
	if e, ok := s.cache.get(digest); ok {
		return e, nil
	}
	data, err := s.read(ctx, digest)
	if err != nil {
		return nil, fmt.Errorf("manifest leaf %s: %w", digest, err)
	}
	entries, err := decodeLeaf(data)
	if err != nil {
		return nil, err
	}
	s.cache.put(digest, entries)
	return entries, nil
}

// leafCache is a bounded map of immutable decoded chunks by digest.
type leafCache struct {
	mu  sync.Mutex
	max int
	m   map[string]any
}

func newLeafCache(n int) *leafCache { return &leafCache{max: n, m: map[string]any{}} }

func (c *leafCache) get(d string) ([]Entry, bool) {
	v, ok := c.getAny(d)
	if !ok {
		return nil, false
	}
	return v.([]Entry), true
}

func (c *leafCache) put(d string, e []Entry) { c.putAny(d, e) }

func (c *leafCache) getAny(d string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[d]
	return e, ok
}

func (c *leafCache) putAny(d string, e any) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m { // evict an arbitrary leaf: cheap, and good enough for a bounded cache
		if len(c.m) < c.max {
			break
		}
		delete(c.m, k)
	}
	c.m[d] = e
}
