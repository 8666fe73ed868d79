package dataset

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
)

// marks is what the mark phase found reachable.
type marks struct {
	mu     sync.Mutex
	blobs  map[string]bool            // hex digests of file contents
	chunks map[string]bool            // hex digests of manifest roots and leaves
	live   map[string]string          // dataset id → live incarnation uid
	gens   map[string]map[string]bool // dataset id → generations its draft pointer names
}

func newMarks() *marks {
	return &marks{blobs: map[string]bool{}, chunks: map[string]bool{}, live: map[string]string{}, gens: map[string]map[string]bool{}}
}

func hexOf(digest string) string { return strings.TrimPrefix(digest, "sha256:") }

func (m *marks) blob(digest string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blobs[hexOf(digest)] = true
}

// chunk marks a chunk and reports whether it was new.
func (m *marks) chunk(digest string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.chunks[hexOf(digest)] {
		return false
	}
	m.chunks[hexOf(digest)] = true
	return true
}

// mark finds everything reachable from the live datasets: for each, its draft pointer's generations (their
// entries and restore bases) and then every snapshot record's tree. The pointer is read before the records so
// that a generation a snapshot covers and then drops from the pointer is seen in one or the other.
func (e *Engine) mark(ctx context.Context) (*marks, error) {
	m := newMarks()
	err := e.eachKey(ctx, metaPrefix, func(o blob.Info) error {
		id := strings.TrimPrefix(o.Key, metaPrefix)
		var rec metaRecord
		if _, err := getJSON(ctx, e.blobs, o.Key, &rec); err != nil {
			if errors.Is(err, apierr.ErrNotFound) {
				return nil
			}
			return err
		}
		if rec.Deleted {
			return nil
		}
		m.live[id] = rec.UID
		return e.markDataset(ctx, m, &ds{e: e, id: id, meta: rec, keys: newDSKeys(id, rec.UID)})
	})
	return m, err
}

func (e *Engine) markDataset(ctx context.Context, m *marks, d *ds) error {
	p, _, err := d.readPointer(ctx)
	if err != nil {
		return err
	}
	gens := map[string]bool{}
	for _, g := range append([]genRef{p.Cur}, p.Sealed...) {
		if g.ID == "" {
			continue
		}
		gens[g.ID] = true
		if g.Base != "" {
			if err := e.markTree(ctx, m, g.Base); err != nil {
				return err
			}
		}
		entries, err := d.readGen(ctx, g.ID)
		if err != nil {
			return err
		}
		for _, ent := range entries {
			if !ent.Deleted {
				m.blob(ent.Digest)
			}
		}
	}
	m.mu.Lock()
	m.gens[d.id] = gens
	m.mu.Unlock()
	return e.eachKey(ctx, d.keys.root+"seq/", func(o blob.Info) error {
		var rec snapRecord
		if _, err := getJSON(ctx, e.blobs, o.Key, &rec); err != nil {
			if errors.Is(err, apierr.ErrNotFound) {
				return nil // the dataset is being deleted
			}
			return err
		}
		return e.markTree(ctx, m, rec.rootOrEmpty())
	})
}

// markTree marks a manifest root, its leaves and the blobs they name; leaves seen before are skipped, so a
// leaf shared by many snapshots is read once. A missing chunk is ErrDataLoss: a live snapshot names it, and
// collecting on top of a damaged store could only make it worse.
func (e *Engine) markTree(ctx context.Context, m *marks, root string) error {
	if root == manifest.EmptyRoot || !m.chunk(root) {
		return nil
	}
	tree, err := e.trees.Load(ctx, root)
	if err != nil {
		return missingIsLoss(err)
	}
	leaves := tree.Leaves()
	errs := make([]error, len(leaves))
	parallel(len(leaves), func(i int) {
		if !m.chunk(leaves[i].Digest) {
			return
		}
		entries, err := e.trees.Leaf(ctx, leaves[i].Digest)
		if err != nil {
			errs[i] = missingIsLoss(err)
			return
		}
		for _, ent := range entries {
			m.blob(ent.Digest)
		}
	})
	return errors.Join(errs...)
}

func missingIsLoss(err error) error {
	if errors.Is(err, apierr.ErrNotFound) {
		return fmt.Errorf("a live snapshot names a missing chunk; not collecting: %v: %w", err, apierr.ErrDataLoss)
	}
	return err
}

// eachKey calls fn for every object under prefix, in key order, page by page.
func (e *Engine) eachKey(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	after := ""
	for {
		p, err := e.blobs.List(ctx, blob.ListOptions{Prefix: prefix, StartAfter: after})
		if err != nil {
			return err
		}
		for _, o := range p.Objects {
			if err := fn(o); err != nil {
				return err
			}
			after = o.Key
		}
		if !p.More || len(p.Objects) == 0 {
			return nil
		}
	}
}
