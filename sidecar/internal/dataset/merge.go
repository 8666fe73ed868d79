package dataset

import (
	"container/heap"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// MergeStrategy says how a path changed differently on both sides is resolved.
type MergeStrategy int

// Merge strategies, as in dataset.proto.
const (
	// MergeFail reports the conflict (the default).
	MergeFail MergeStrategy = iota
	// MergeOurs keeps the target branch's version.
	MergeOurs
	// MergeTheirs takes the source's version.
	MergeTheirs
)

// MergeOptions describe a merge.
type MergeOptions struct {
	Message string
	Author  string
	// Strategy resolves every conflicting path that PathStrategies does not name.
	Strategy MergeStrategy
	// PathStrategies resolve single paths.
	PathStrategies map[string]MergeStrategy
}

// MergeResult says what a merge did.
type MergeResult struct {
	// Snapshot is the target's head after the merge: the merge snapshot, the source's head when
	// fast-forwarded, or the unchanged head when the source was merged already.
	Snapshot    *Snapshot
	FastForward bool
	UpToDate    bool
	// Base is the common ancestor's id ("" when the two histories share none: the empty state is the base).
	Base string
	// Stats count how the target's tree changed.
	Stats DiffStats
	// Resolved lists the conflicts a strategy resolved, by path.
	Resolved []*MergeConflict
}

// MergeConflict is one path changed on both sides to different results; a nil side means the file is absent
// there (deleted, or never added).
type MergeConflict struct {
	Path               string
	Base, Ours, Theirs *FileInfo
}

// MergeConflictError is the FAILED_PRECONDITION of a merge with unresolved conflicts; it lists every one.
type MergeConflictError struct {
	Source, Target string
	Conflicts      []*MergeConflict
}

func (e *MergeConflictError) Error() string {
	paths := make([]string, 0, min(len(e.Conflicts), 5))
	for _, c := range e.Conflicts[:min(len(e.Conflicts), 5)] {
		paths = append(paths, c.Path)
	}
	more := ""
	if len(e.Conflicts) > 5 {
		more = fmt.Sprintf(" and %d more", len(e.Conflicts)-5)
	}
	return fmt.Sprintf("merging %s into %s: %d paths changed differently on both sides (%s%s); resolve with a strategy (ours or theirs, for all or per path)",
		e.Source, e.Target, len(e.Conflicts), strings.Join(paths, ", "), more)
}

// Unwrap makes the error a FAILED_PRECONDITION.
func (e *MergeConflictError) Unwrap() error { return apierr.ErrFailedPrecondition }

// MergeBranch merges the snapshot source names (a branch's head, a tag, a version…) into branch target ("" is
// the default branch). When the target's head is an ancestor of the source, the target fast-forwards to it.
// Otherwise a three-way merge by path against their common ancestor: a path changed on one side only takes
// that change; one changed on both to the same result is kept; one changed differently is a conflict,
// resolved by the options' strategies or reported as a *MergeConflictError listing every one. The merge
// snapshot records the target's head as its parent and the source as its second parent. The target's draft
// keeps its pending changes, on top of the new head. Cost: the two diffs against the base (leaves all three
// trees share are skipped unread) and the snapshots since the histories forked — not the dataset's size.
func (e *Engine) MergeBranch(ctx context.Context, id, source, target string, opts MergeOptions) (*MergeResult, error) {
	if target == "" {
		target = resource.DefaultBranch
	}
	if err := resource.ValidateBranchName(target); err != nil {
		return nil, apierr.InvalidArgument("target_branch", "%v", err)
	}
	if err := validateText("message", opts.Message, MaxMessageBytes); err != nil {
		return nil, err
	}
	if err := validateText("author", opts.Author, MaxAuthorBytes); err != nil {
		return nil, err
	}
	for p := range opts.PathStrategies {
		if err := validatePath("path_strategies", p); err != nil {
			return nil, err
		}
	}
	done, err := e.changing(ctx, id)
	if err != nil {
		return nil, err
	}
	defer done()
	t, err := e.open(ctx, access.Writer, "name", id+"@"+target)
	if err != nil {
		return nil, err
	}
	r, err := parseRef("source", source)
	if err != nil {
		return nil, err
	}
	if r.Kind == resource.RefLatest || r.Kind == resource.RefDraft {
		return nil, apierr.InvalidArgument("source", "name the branch, tag or snapshot to merge (a draft must be snapshotted first)")
	}
	src, err := t.resolve(ctx, "source", r)
	if err != nil {
		return nil, err
	}
	var claimed int64
	for attempt := 0; attempt < e.retries; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
		}
		res, rec, hv, err := t.planMerge(ctx, src, opts, source)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return res.MergeResult, nil
		}
		if err := t.tidyDraft(ctx, res.head); err != nil {
			return nil, err
		}
		if !res.FastForward {
			if claimed <= res.head.Seq {
				if claimed, err = t.claimSeq(ctx); err != nil {
					return nil, err
				}
			}
			rec.Seq = claimed
			rec.ID = snapshotID(rec.Root, rec.Parent+" "+rec.MergeParent, rec.Message, rec.Author, rec.Time)
		}
		if err := t.commit(ctx, *rec, hv); err != nil {
			if lostRace(err) {
				continue // the target moved: plan again on its new head
			}
			return nil, err
		}
		res.Snapshot, err = t.withTags(ctx, t.snapshot(*rec))
		return res.MergeResult, err
	}
	return nil, abortedAfter("merge", e.retries)
}

// plannedMerge is a MergeResult with the head it was planned on.
type plannedMerge struct {
	*MergeResult
	head snapRecord
}

// planMerge decides what merging src into the handle's branch does. rec is nil when nothing is to be
// committed (up to date; res says so); otherwise it is the new head (src itself for a fast-forward), to be
// committed against the branch pointer's version hv.
func (t *ds) planMerge(ctx context.Context, src snapRecord, opts MergeOptions, source string) (*plannedMerge, *snapRecord, string, error) {
	head, hv, err := t.loadHead(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	res := &plannedMerge{MergeResult: &MergeResult{}, head: head}
	base, err := t.mergeBase(ctx, head, src)
	if err != nil {
		return nil, nil, "", err
	}
	res.Base = base.ID
	if base.ID == src.ID {
		res.UpToDate = true
		res.Snapshot, err = t.withTags(ctx, t.snapshot(head))
		return res, nil, "", err
	}
	trees, err := t.loadTrees(ctx, base, head, src)
	if err != nil {
		return nil, nil, "", err
	}
	if base.ID == head.ID {
		res.FastForward = true
		res.Stats, err = diffStats(ctx, trees[1], trees[2])
		return res, &src, hv, err
	}
	changes, resolved, conflicts, err := threeWay(ctx, trees, opts)
	if err != nil {
		return nil, nil, "", err
	}
	if len(conflicts) > 0 {
		return nil, nil, "", &MergeConflictError{Source: source, Target: t.branch, Conflicts: conflicts}
	}
	res.Resolved = resolved
	merged, err := trees[1].Apply(ctx, changes)
	if err != nil {
		return nil, nil, "", err
	}
	root, _, err := merged.Save(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	if res.Stats, err = diffStats(ctx, trees[1], merged); err != nil {
		return nil, nil, "", err
	}
	rec := head.child(t.branch)
	rec.MergeParent, rec.MergeParentSeq = src.ID, src.Seq
	rec.Message, rec.Author, rec.Time, rec.Root = opts.Message, opts.Author, t.e.clock(), root
	if rec.Message == "" {
		rec.Message = fmt.Sprintf("merge %s into %s", source, t.branch)
	}
	rec.Files, rec.Bytes = merged.Stats()
	return res, &rec, hv, nil
}

func (t *ds) loadTrees(ctx context.Context, recs ...snapRecord) ([]*manifest.Tree, error) {
	out := make([]*manifest.Tree, len(recs))
	for i, r := range recs {
		tree, err := t.e.trees.Load(ctx, r.rootOrEmpty())
		if err != nil {
			return nil, err
		}
		out[i] = tree
	}
	return out, nil
}

func diffStats(ctx context.Context, from, to *manifest.Tree) (DiffStats, error) {
	var changes []*FileChange
	err := manifest.Diff(ctx, from, to, "", func(a, b *manifest.Entry) error {
		changes = append(changes, change(a, b))
		return nil
	})
	return stats(changes), err
}

// threeWay merges trees [base, ours, theirs]: the changes to apply to ours, the conflicts a strategy resolved
// and those left.
func threeWay(ctx context.Context, trees []*manifest.Tree, opts MergeOptions) (changes []manifest.Change, resolved, conflicts []*MergeConflict, err error) {
	type side struct{ from, to *manifest.Entry }
	ours := map[string]side{}
	err = manifest.Diff(ctx, trees[0], trees[1], "", func(a, b *manifest.Entry) error {
		ours[pathOf(a, b)] = side{a, b}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	err = manifest.Diff(ctx, trees[0], trees[2], "", func(a, b *manifest.Entry) error {
		p := pathOf(a, b)
		o, both := ours[p]
		if !both {
			changes = append(changes, manifest.Change{Path: p, Entry: b})
			return nil
		}
		if sameContent(o.to, b) {
			return nil
		}
		c := &MergeConflict{Path: p, Base: infoOrNil(a), Ours: infoOrNil(o.to), Theirs: infoOrNil(b)}
		strategy, ok := opts.PathStrategies[p]
		if !ok {
			strategy = opts.Strategy
		}
		switch strategy {
		case MergeOurs:
			resolved = append(resolved, c)
		case MergeTheirs:
			resolved = append(resolved, c)
			changes = append(changes, manifest.Change{Path: p, Entry: b})
		default:
			conflicts = append(conflicts, c)
		}
		return nil
	})
	return changes, resolved, conflicts, err
}

func pathOf(a, b *manifest.Entry) string {
	if a != nil {
		return a.Path
	}
	return b.Path
}

// sameContent reports two sides ending in the same state: both absent, or the same bytes.
func sameContent(a, b *manifest.Entry) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Digest == b.Digest && a.Size == b.Size
}

func infoOrNil(e *manifest.Entry) *FileInfo {
	if e == nil {
		return nil
	}
	return fileInfo(*e)
}

// tidyDraft drops from the branch's draft pointer the generations head covers. A commit that is not a
// snapshot of this draft (a merge, a fast-forward) makes a head that covers none, so generations sealed and
// committed earlier must be gone from the pointer before it, or the draft would apply them again.
func (d *ds) tidyDraft(ctx context.Context, head snapRecord) error {
	for attempt := 0; attempt < d.e.retries; attempt++ {
		p, pv, err := d.readPointer(ctx)
		if err != nil {
			return err
		}
		kept := slices.DeleteFunc(slices.Clone(p.Sealed), func(g genRef) bool { return slices.Contains(head.Covered, g.ID) })
		if len(kept) == len(p.Sealed) {
			return nil
		}
		p.Sealed = kept
		if _, err := putJSON(ctx, d.e.blobs, d.draftKey, p, blob.SwapOptions(pv)); err == nil {
			return nil
		} else if !lostRace(err) {
			return err
		}
	}
	return abortedAfter("tidy the draft", d.e.retries)
}

// mergeBase returns the best common ancestor of a and b (the empty record when they share none). It walks
// both histories back in decreasing version numbers — a parent always has a smaller number than its child —
// painting each snapshot with the sides that reach it; the first one reached from both is the answer. Cost:
// the snapshots since the histories forked.
func (d *ds) mergeBase(ctx context.Context, a, b snapRecord) (snapRecord, error) {
	if a.ID == "" || b.ID == "" {
		return snapRecord{}, nil
	}
	paint := map[int64]int{}
	recs := map[int64]snapRecord{a.Seq: a, b.Seq: b}
	q := &seqHeap{}
	push := func(seq int64, color int) {
		if seq < 1 {
			return
		}
		if _, queued := paint[seq]; !queued {
			heap.Push(q, seq)
		}
		paint[seq] |= color
	}
	push(a.Seq, 1)
	push(b.Seq, 2)
	for q.Len() > 0 {
		seq := heap.Pop(q).(int64)
		rec, ok := recs[seq]
		if !ok {
			var err error
			if rec, err = d.bySeq(ctx, seq); err != nil {
				return snapRecord{}, err
			}
		}
		if paint[seq] == 3 {
			return rec, nil
		}
		push(rec.parentSeq(), paint[seq])
		if rec.MergeParent != "" {
			push(rec.MergeParentSeq, paint[seq])
		}
	}
	return snapRecord{}, nil
}

// seqHeap is a max-heap of version numbers.
type seqHeap []int64

func (h seqHeap) Len() int           { return len(h) }
func (h seqHeap) Less(i, j int) bool { return h[i] > h[j] }
func (h seqHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *seqHeap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *seqHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
