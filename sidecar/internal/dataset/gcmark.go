package dataset

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// marks is what the mark phase found reachable.
type marks struct {
	mu     sync.Mutex
	blobs  map[string]bool            // hex digests of file contents
	chunks map[string]bool            // hex digests of manifest roots and leaves
	live   map[string]string          // dataset id → live incarnation uid
	gens   map[string]map[string]bool // dataset id → generations its draft pointers name
	drafts map[string]map[string]bool // dataset id → its live draft pointers' keys, below the incarnation
}

func newMarks() *marks {
	return &marks{blobs: map[string]bool{}, chunks: map[string]bool{}, live: map[string]string{}, gens: map[string]map[string]bool{}, drafts: map[string]map[string]bool{}}
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
//
// Every branch counts: first all draft pointers (the default branch's, and those a branch pointer names, or a
// rename tombstone younger than since names), then every branch's head (committed, maybe not yet finished),
// then every seq/ record — snapshots of deleted branches included, since ids, numbers and tags still reach them.
func (e *Engine) mark(ctx context.Context, since time.Time) (*marks, error) {
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
		d := &ds{e: e, id: id, meta: rec, keys: newDSKeys(id, rec.UID), branch: resource.DefaultBranch}
		d.draftKey = d.keys.draft()
		return e.markDataset(ctx, m, d, since)
	})
	return m, err
}

func (e *Engine) markDataset(ctx context.Context, m *marks, d *ds, since time.Time) error {
	drafts := []string{d.keys.draft()}
	var heads []string
	err := e.eachKey(ctx, d.keys.branches(), func(o blob.Info) error {
		var br branchRecord
		if _, err := getJSON(ctx, e.blobs, o.Key, &br); err != nil {
			if errors.Is(err, apierr.ErrNotFound) {
				return nil
			}
			return err
		}
		if !br.Deleted || (br.RenamedTo != "" && br.Time.After(since)) {
			if br.Draft != "" {
				drafts = append(drafts, d.keys.branchDraft(br.Draft))
			}
		}
		if !br.Deleted && br.Head.Root != "" {
			heads = append(heads, br.Head.Root)
		}
		return nil
	})
	if err != nil {
		return err
	}
	gens := map[string]bool{}
	for _, key := range drafts {
		b := *d
		b.draftKey = key
		if err := e.markDraft(ctx, m, &b, gens); err != nil {
			return err
		}
	}
	m.mu.Lock()
	m.gens[d.id] = gens
	m.drafts[d.id] = map[string]bool{}
	for _, key := range drafts {
		m.drafts[d.id][key[len(d.keys.root):]] = true
	}
	m.mu.Unlock()
	// Heads after drafts: a snapshot that covered a generation and then dropped it from its draft pointer
	// is seen in one or the other. The heads' pointers were listed before their drafts were read, so heads
	// are read again here.
	if err := d.eachBranch(ctx, func(_ *ds, br branchRecord) error {
		heads = append(heads, br.Head.Root)
		return nil
	}); err != nil {
		return err
	}
	for _, root := range heads {
		if root != "" {
			if err := e.markTree(ctx, m, root); err != nil {
				return err
			}
		}
	}
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

// markDraft marks the blobs of the entries of every generation a draft pointer names, and their restore
// bases and checkpoint indexes, and adds the generations to gens.
func (e *Engine) markDraft(ctx context.Context, m *marks, d *ds, gens map[string]bool) error {
	p, _, err := d.readPointer(ctx)
	if err != nil {
		return err
	}
	for _, g := range append([]genRef{p.Cur}, p.Sealed...) {
		if g.ID == "" {
			continue
		}
		gens[g.ID] = true
		for _, root := range []string{g.Base, g.Index} {
			if root == "" {
				continue
			}
			if err := e.markTree(ctx, m, root); err != nil {
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
	return nil
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
