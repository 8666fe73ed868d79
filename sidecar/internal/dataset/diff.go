package dataset

import (
	"context"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// DiffOptions select a diff.
type DiffOptions struct {
	// From is the older ref; "" means the parent of To (the head when To is the draft).
	From string
	// To is the newer ref; "" means "draft".
	To string
	// PathPrefix limits the diff to paths starting with it.
	PathPrefix string
	Page       Page
}

// DiffResult is one page of a diff.
type DiffResult struct {
	Changes []*FileChange
	// Stats count the whole diff, not just this page.
	Stats     DiffStats
	NextToken string
	// From and To are the resolved snapshot ids ("" for the empty state before the first snapshot, "draft").
	From, To string
}

// Diff lists the files added, removed and modified between two refs, sorted by path. Leaves both manifests
// share are skipped unread, so the cost follows the changes, not the dataset's size.
func (e *Engine) Diff(ctx context.Context, id string, opts DiffOptions) (*DiffResult, error) {
	if err := resource.ValidatePrefix(opts.PathPrefix); err != nil {
		return nil, apierr.InvalidArgument("path_prefix", "%v", err)
	}
	d, err := e.open(ctx, access.Reader, "dataset", id)
	if err != nil {
		return nil, err
	}
	to := opts.To
	if to == "" {
		to = DraftRef
	}
	cur, err := opts.Page.open("diff", id, opts.From, to, opts.PathPrefix)
	if err != nil {
		return nil, err
	}
	toTree, toName, err := d.treeAt(ctx, "to_ref", to)
	if err != nil {
		return nil, err
	}
	var fromTree *manifest.Tree
	fromName := ""
	if opts.From != "" {
		if fromTree, fromName, err = d.treeAt(ctx, "from_ref", opts.From); err != nil {
			return nil, err
		}
	} else {
		parent := ""
		if r, _ := resource.ParseRef(toName); r.Kind == resource.RefDraft {
			b := d
			if r.Value != "" {
				if b, err = d.onBranch(ctx, r.Value); err != nil {
					return nil, err
				}
			}
			h, _, err := b.loadHead(ctx)
			if err != nil {
				return nil, err
			}
			parent = h.ID
		} else {
			rec, err := d.byIDPrefix(ctx, toName)
			if err != nil {
				return nil, err
			}
			parent = rec.Parent
		}
		fromTree, fromName = e.trees.Empty(), parent
		if parent != "" {
			rec, err := d.byIDPrefix(ctx, parent)
			if err != nil {
				return nil, err
			}
			if fromTree, err = e.trees.Load(ctx, rec.rootOrEmpty()); err != nil {
				return nil, err
			}
		}
	}
	res := &DiffResult{Changes: []*FileChange{}, From: fromName, To: toName}
	var all []*FileChange
	err = manifest.Diff(ctx, fromTree, toTree, opts.PathPrefix, func(a, b *manifest.Entry) error {
		all = append(all, change(a, b))
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Stats = stats(all)
	i := 0
	if cur.after != "" {
		for i < len(all) && all[i].Path <= cur.after {
			i++
		}
	}
	for ; i < len(all) && len(res.Changes) < cur.size; i++ {
		res.Changes = append(res.Changes, all[i])
	}
	if i < len(all) {
		res.NextToken = cur.next(res.Changes[len(res.Changes)-1].Path)
	}
	return res, nil
}

func change(a, b *manifest.Entry) *FileChange {
	switch {
	case a == nil:
		return &FileChange{Path: b.Path, Type: Added, To: fileInfo(*b)}
	case b == nil:
		return &FileChange{Path: a.Path, Type: Removed, From: fileInfo(*a)}
	}
	return &FileChange{Path: a.Path, Type: Modified, From: fileInfo(*a), To: fileInfo(*b)}
}

func stats(changes []*FileChange) DiffStats {
	var s DiffStats
	for _, c := range changes {
		switch c.Type {
		case Added:
			s.Added++
			s.BytesDelta += c.To.Size
		case Removed:
			s.Removed++
			s.BytesDelta -= c.From.Size
		case Modified:
			s.Modified++
			s.BytesDelta += c.To.Size - c.From.Size
		}
	}
	return s
}

// Restore resets the draft to the content of the snapshot ref names, and returns how the draft changed.
// History is not rewritten: the next snapshot records the restored state on top of the head. It is one
// compare-and-swap of the draft pointer to a new generation based on the snapshot's manifest root: O(1) in
// the dataset's size (the returned stats cost a diff).
func (e *Engine) Restore(ctx context.Context, id, ref string) (DiffStats, error) {
	d, err := e.open(ctx, access.Writer, "name", id)
	if err != nil {
		return DiffStats{}, err
	}
	r, err := parseRef("name", ref)
	if err != nil {
		return DiffStats{}, err
	}
	target, err := d.resolve(ctx, "name", r)
	if err != nil {
		return DiffStats{}, err
	}
	return d.resetDraft(ctx, target.rootOrEmpty())
}

// resetDraft makes the tree of root the draft and returns how the draft changed.
func (d *ds) resetDraft(ctx context.Context, root string) (DiffStats, error) {
	to, err := d.e.trees.Load(ctx, root)
	if err != nil {
		return DiffStats{}, err
	}
	for attempt := 0; attempt < d.e.retries; attempt++ {
		v, err := d.draftView(ctx)
		if err != nil {
			return DiffStats{}, err
		}
		next := draftPointer{Cur: genRef{ID: newGenID(), Base: root}, Sealed: v.ptr.Sealed}
		_, err = putJSON(ctx, d.e.blobs, d.draftKey, next, blob.SwapOptions(v.ptrVer))
		if lostRace(err) {
			if err := backoff(ctx, attempt); err != nil {
				return DiffStats{}, err
			}
			continue
		}
		if err != nil {
			return DiffStats{}, err
		}
		var changes []*FileChange
		err = manifest.Diff(ctx, v.tree, to, "", func(a, b *manifest.Entry) error {
			changes = append(changes, change(a, b))
			return nil
		})
		return stats(changes), err
	}
	return DiffStats{}, abortedAfter("restore", d.e.retries)
}
