package dataset

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Branches (doc.go, "Branches"). A branch is one compare-and-swap pointer, branches/<name>, holding a copy of
// its head snapshot record and the id of its draft pointer. Creating one writes that pointer and nothing
// else; committing to one moves it by compare-and-swap, which is the commit point of its history.

// branchRecord is a branch pointer. A tombstone (Deleted) marks a deleted or renamed branch: S3 has no
// conditional delete, and a re-created name must never resume the old draft.
type branchRecord struct {
	// Head is the branch's latest snapshot (Seq 0: none yet). Finished says its seq/ record and id index are
	// written; until then any reader finishes them before using or moving the pointer.
	Head     snapRecord `json:"head"`
	Finished bool       `json:"finished,omitempty"`
	// Draft names the branch's draft pointer, drafts/<Draft>; "" is the default branch's legacy key.
	Draft  string    `json:"draft,omitempty"`
	Author string    `json:"author,omitempty"`
	Time   time.Time `json:"time"`
	// From is the snapshot the branch was created from.
	From    string `json:"from,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
	// RenamedTo, on a tombstone, is the branch's new name: garbage collection keeps marking the draft through
	// it for a grace period, in case its listing passed the new name before the rename wrote it.
	RenamedTo string `json:"renamedTo,omitempty"`
}

// Branch describes one branch (Branch in dataset.proto).
type Branch struct {
	Name string
	// Head is the id of the latest snapshot ("" before the first) and HeadSequence its version number.
	Head         string
	HeadSequence int64
	From         string
	Author       string
	CreateTime   time.Time
	Default      bool
}

func (b branchRecord) branch(name string) *Branch {
	return &Branch{Name: name, Head: b.Head.ID, HeadSequence: b.Head.Seq, From: b.From, Author: b.Author,
		CreateTime: b.Time, Default: name == resource.DefaultBranch}
}

// onBranch returns a handle on another branch of the same dataset; ErrNotFound when it does not exist.
func (d *ds) onBranch(ctx context.Context, name string) (*ds, error) {
	o := *d
	o.branch, o.draftKey = name, d.keys.draft()
	if name == resource.DefaultBranch {
		return &o, nil
	}
	br, _, err := o.readBranch(ctx)
	if err != nil {
		return nil, err
	}
	o.draftKey = d.keys.branchDraft(br.Draft)
	return &o, nil
}

// readBranch reads the handle's branch pointer. The default branch of a dataset written before branches
// existed has none: it is created here from the legacy head, once (create-only), so no migration step is
// needed and every later commit goes through the pointer.
func (d *ds) readBranch(ctx context.Context) (branchRecord, string, error) {
	for attempt := 0; attempt < d.e.retries; attempt++ {
		var br branchRecord
		ver, err := getJSON(ctx, d.e.blobs, d.keys.branch(d.branch), &br)
		switch {
		case err == nil && !br.Deleted:
			return br, ver, nil
		case err != nil && !errors.Is(err, apierr.ErrNotFound):
			return br, "", err
		case d.branch != resource.DefaultBranch:
			return br, "", fmt.Errorf("branch %q of dataset %q: %w", d.branch, d.id, apierr.ErrNotFound)
		}
		head, err := d.legacyHead(ctx)
		if err != nil {
			return br, "", err
		}
		br = branchRecord{Head: head, Finished: true, Time: d.meta.CreateTime}
		ver, err = putJSON(ctx, d.e.blobs, d.keys.branch(d.branch), br, blob.PutOptions{IfNoneMatch: true})
		if err == nil {
			return br, ver, nil
		}
		if !lostRace(err) {
			return br, "", err
		}
	}
	return branchRecord{}, "", abortedAfter("read the branch", d.e.retries)
}

// legacyHead is the head as kamld kept it before branches: the head hint, followed along seq/<n+1> while
// those records continue its history (finishing commits whose writer died before updating the hint).
func (d *ds) legacyHead(ctx context.Context) (snapRecord, error) {
	var h snapRecord
	hv, err := getJSON(ctx, d.e.blobs, d.keys.head(), &h)
	if err != nil && !errors.Is(err, apierr.ErrNotFound) {
		return h, err
	}
	for {
		var next snapRecord
		_, err := getJSON(ctx, d.e.blobs, d.keys.seq(h.Seq+1), &next)
		if errors.Is(err, apierr.ErrNotFound) || (err == nil && next.Branch != "") {
			return h, nil
		}
		if err != nil {
			return h, err
		}
		if next.Parent != h.ID {
			return h, fmt.Errorf("snapshot v%d's parent is %s, not v%d %s: %w", next.Seq, next.Parent, h.Seq, h.ID, apierr.ErrDataLoss)
		}
		if err := d.finish(ctx, next); err != nil {
			return h, err
		}
		if hv, err = putJSON(ctx, d.e.blobs, d.keys.head(), next, blob.SwapOptions(hv)); lostRace(err) {
			hv, err = "", nil
		}
		if err != nil {
			return h, err
		}
		h = next
	}
}

// loadHead returns the branch's head and the pointer's version, finishing the head's commit first if its
// writer has not (helping, as in lock-free algorithms): a pointer only moves on from a finished head.
func (d *ds) loadHead(ctx context.Context) (snapRecord, string, error) {
	br, ver, err := d.readBranch(ctx)
	if err != nil || br.Finished {
		return br.Head, ver, err
	}
	if err := d.finish(ctx, br.Head); err != nil {
		return br.Head, "", err
	}
	br.Finished = true
	nv, err := putJSON(ctx, d.e.blobs, d.keys.branch(d.branch), br, blob.PutOptions{IfMatch: ver})
	if lostRace(err) {
		return d.loadHead(ctx) // moved meanwhile, by a writer that found this head finished
	}
	return br.Head, nv, err
}

// claimSeq takes the next version number of the dataset: one sequence across all branches, so "v7" names one
// snapshot whatever its branch. A number whose commit then loses its race is skipped, never reused.
func (d *ds) claimSeq(ctx context.Context) (int64, error) {
	type counter struct {
		Last int64 `json:"last"`
	}
	for attempt := 0; attempt < d.e.retries; attempt++ {
		var c counter
		ver, err := getJSON(ctx, d.e.blobs, d.keys.seqCounter(), &c)
		if errors.Is(err, apierr.ErrNotFound) {
			// No commit since branches exist: the legacy history (the default branch's) is all there is.
			main, err := d.onBranch(ctx, resource.DefaultBranch)
			if err != nil {
				return 0, err
			}
			h, _, err := main.loadHead(ctx)
			if err != nil {
				return 0, err
			}
			c.Last = h.Seq
		} else if err != nil {
			return 0, err
		}
		c.Last++
		_, err = putJSON(ctx, d.e.blobs, d.keys.seqCounter(), c, blob.SwapOptions(ver))
		if err == nil {
			// A sidecar of a version before branches commits by creating seq/<n> itself: skip a number it took.
			if _, err := d.e.blobs.Stat(ctx, d.keys.seq(c.Last)); errors.Is(err, apierr.ErrNotFound) {
				return c.Last, nil
			} else if err != nil {
				return 0, err
			}
			continue
		}
		if !lostRace(err) {
			return 0, err
		}
		if err := backoff(ctx, attempt); err != nil {
			return 0, err
		}
	}
	return 0, abortedAfter("number the snapshot", d.e.retries)
}

// commit moves the branch from the head read at version ver to rec (claimed by claimSeq) and finishes rec.
// A lost race is reported by lostRace(err): nothing was changed, the number stays unused.
func (d *ds) commit(ctx context.Context, rec snapRecord, ver string) error {
	br, bv, err := d.readBranch(ctx)
	if err != nil {
		return err
	}
	if bv != ver {
		return fmt.Errorf("branch %q moved: %w", d.branch, apierr.ErrAborted)
	}
	br.Head, br.Finished = rec, false
	d.hook("before")
	if _, err := putJSON(ctx, d.e.blobs, d.keys.branch(d.branch), br, blob.PutOptions{IfMatch: ver}); err != nil {
		return err
	}
	d.hook("after")
	if _, _, err := d.loadHead(ctx); err != nil {
		return fmt.Errorf("snapshot v%d is committed, but finishing it failed (the next read finishes it): %w", rec.Seq, err)
	}
	return nil
}

func (d *ds) hook(stage string) {
	if d.e.hookCommit != nil {
		d.e.hookCommit(stage)
	}
}

// eachBranch calls fn with every live branch's handle and record, the default branch first.
func (d *ds) eachBranch(ctx context.Context, fn func(b *ds, br branchRecord) error) error {
	main, err := d.onBranch(ctx, resource.DefaultBranch)
	if err != nil {
		return err
	}
	mainRec, _, err := main.readBranch(ctx)
	if err != nil {
		return err
	}
	if err := fn(main, mainRec); err != nil {
		return err
	}
	return d.e.eachKey(ctx, d.keys.branches(), func(o blob.Info) error {
		name := o.Key[len(d.keys.branches()):]
		if name == resource.DefaultBranch {
			return nil
		}
		var br branchRecord
		if _, err := getJSON(ctx, d.e.blobs, o.Key, &br); err != nil {
			if errors.Is(err, apierr.ErrNotFound) {
				return nil
			}
			return err
		}
		if br.Deleted {
			return nil
		}
		b := *d
		b.branch, b.draftKey = name, d.keys.branchDraft(br.Draft)
		return fn(&b, br)
	})
}

// finishAll finishes every branch's head: a snapshot committed by a writer that died before writing its
// seq/ record and id index becomes findable by number and id.
func (d *ds) finishAll(ctx context.Context) error {
	return d.eachBranch(ctx, func(b *ds, br branchRecord) error {
		if br.Finished {
			return nil
		}
		_, _, err := b.loadHead(ctx)
		return err
	})
}
