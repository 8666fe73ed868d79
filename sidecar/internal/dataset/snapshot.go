package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
	"github.com/kamld/kamld/sidecar/internal/observe"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// snapRecord is a committed snapshot, stored create-only at seq/<n>; the head object holds a copy of the
// latest one (seq 0 and empty before the first snapshot).
type snapRecord struct {
	ID      string    `json:"id,omitempty"`
	Seq     int64     `json:"seq"`
	Parent  string    `json:"parent,omitempty"`
	Message string    `json:"message,omitempty"`
	Author  string    `json:"author,omitempty"`
	Time    time.Time `json:"time"`
	Root    string    `json:"root,omitempty"`
	Files   int64     `json:"files"`
	Bytes   int64     `json:"bytes"`
	Lineage *Lineage  `json:"lineage,omitempty"`
	// Branch is the branch the snapshot was committed to ("" in records written before branches: the
	// default branch). ParentSeq is the parent's number (0 in those records: there it is Seq-1, as history
	// was one line). A merge snapshot also has a second parent. Depth counts first parents up to the root.
	Branch         string `json:"branch,omitempty"`
	ParentSeq      int64  `json:"parentSeq,omitempty"`
	MergeParent    string `json:"mergeParent,omitempty"`
	MergeParentSeq int64  `json:"mergeParentSeq,omitempty"`
	Depth          int64  `json:"depth,omitempty"`
	// Covered lists the draft generations whose entries this snapshot includes: all those sealed when it was
	// taken. The draft skips them from then on.
	Covered []string `json:"covered,omitempty"`
}

func (r snapRecord) rootOrEmpty() string {
	if r.Root == "" {
		return manifest.EmptyRoot
	}
	return r.Root
}

// Version renders the number as people write it: "v3".
func (r snapRecord) Version() string { return "v" + itoa(r.Seq) }

// parentSeq is the number of the first parent (0 for the first snapshot).
func (r snapRecord) parentSeq() int64 {
	switch {
	case r.Parent == "":
		return 0
	case r.ParentSeq > 0:
		return r.ParentSeq
	}
	return r.Seq - 1
}

// depth is how many snapshots the first-parent history up to r holds.
func (r snapRecord) depth() int64 {
	if r.Depth > 0 || r.Branch != "" {
		return r.Depth
	}
	return r.Seq
}

// branchName is the branch r was committed to.
func (r snapRecord) branchName() string {
	if r.Branch == "" {
		return resource.DefaultBranch
	}
	return r.Branch
}

// child is a record on top of r (numbered later by claimSeq).
func (r snapRecord) child(branch string) snapRecord {
	return snapRecord{Parent: r.ID, ParentSeq: r.Seq, Depth: r.depth() + 1, Branch: branch}
}

func (d *ds) snapshot(r snapRecord) *Snapshot {
	return &Snapshot{Dataset: d.id, ID: r.ID, Sequence: r.Seq, Parent: r.Parent, MergeParent: r.MergeParent, Branch: r.branchName(),
		Message: r.Message, Author: r.Author, CreateTime: r.Time, Stats: Stats{FileCount: r.Files, TotalBytes: r.Bytes},
		ManifestRoot: r.rootOrEmpty(), Lineage: r.Lineage}
}

// snapshotID is hex sha256 over the manifest root, parent id, message, author and time, each length-prefixed
// so no two different inputs hash the same bytes.
func snapshotID(root, parent, message, author string, t time.Time) string {
	h := sha256.New()
	for _, s := range []string{root, parent, message, author, t.UTC().Format(time.RFC3339Nano)} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// finish completes a committed snapshot: its seq/ record (create-only: THE record of that number), its id
// index, and the draft pointer's sealed list. Every step is idempotent and may be done by anyone (the
// snapshot's writer, or a reader that found it unfinished).
func (d *ds) finish(ctx context.Context, rec snapRecord) error {
	if _, err := putJSON(ctx, d.e.blobs, d.keys.seq(rec.Seq), rec, blob.PutOptions{IfNoneMatch: true}); lostRace(err) {
		var there snapRecord
		if _, err := getJSON(ctx, d.e.blobs, d.keys.seq(rec.Seq), &there); err != nil {
			return err
		}
		if there.ID != rec.ID {
			return fmt.Errorf("v%d is snapshot %s, but branch %q names %s as v%d: %w", rec.Seq, there.ID, d.branch, rec.ID, rec.Seq, apierr.ErrDataLoss)
		}
	} else if err != nil {
		return err
	}
	if _, err := putJSON(ctx, d.e.blobs, d.keys.snapID(rec.ID), idIndex{Seq: rec.Seq}, blob.PutOptions{IfNoneMatch: true}); err != nil && !lostRace(err) {
		return err
	}
	// Drop the covered generations from the pointer: only tidiness (the draft skips covered generations
	// anyway), so a lost race is left to the next snapshot.
	for range 3 {
		p, pv, err := d.readPointer(ctx)
		if err != nil {
			return nil
		}
		kept := slices.DeleteFunc(slices.Clone(p.Sealed), func(g genRef) bool { return slices.Contains(rec.Covered, g.ID) })
		if len(kept) == len(p.Sealed) {
			break
		}
		p.Sealed = kept
		if _, err := putJSON(ctx, d.e.blobs, d.draftKey, p, blob.PutOptions{IfMatch: pv}); err == nil || !lostRace(err) {
			break
		}
	}
	return nil
}

type idIndex struct {
	Seq int64 `json:"seq"`
}

// SnapshotOptions describe a new snapshot.
type SnapshotOptions struct {
	Message string
	Author  string
	// AllowEmpty takes a snapshot even when the draft has no changes (else ErrFailedPrecondition).
	AllowEmpty bool
	// ExpectedHead, when set, fails with ErrAborted unless the head is still this snapshot id.
	ExpectedHead string
	Lineage      *Lineage
}

// CreateSnapshot commits the draft as a new snapshot on top of the head and makes it the head.
//
// Every write that returned success before CreateSnapshot was called is in the snapshot; writes racing with
// it land either in it or in the draft for the next one, never nowhere. Concurrent snapshots serialise: each
// gets the next sequence number and the previous one as parent. A lost race is retried; ErrAborted after too
// many, with nothing lost. Cost: the changed entries, the leaves around them and the root.
func (e *Engine) CreateSnapshot(ctx context.Context, id string, opts SnapshotOptions) (*Snapshot, error) {
	start := time.Now()
	s, err := e.createSnapshot(ctx, id, opts)
	observe.SnapshotDone(time.Since(start), err)
	return s, err
}

func (e *Engine) createSnapshot(ctx context.Context, id string, opts SnapshotOptions) (*Snapshot, error) {
	if err := validateText("message", opts.Message, MaxMessageBytes); err != nil {
		return nil, err
	}
	if err := validateText("author", opts.Author, MaxAuthorBytes); err != nil {
		return nil, err
	}
	done, err := e.changing(ctx, id)
	if err != nil {
		return nil, err
	}
	defer done()
	d, err := e.open(ctx, access.Writer, "parent", id)
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
		head, hv, err := d.loadHead(ctx)
		if err != nil {
			return nil, err
		}
		if opts.ExpectedHead != "" && opts.ExpectedHead != head.ID {
			return nil, fmt.Errorf("the head is %q, not the expected %q: %w", head.ID, opts.ExpectedHead, apierr.ErrAborted)
		}
		if !opts.AllowEmpty {
			// Check for changes before sealing: a seal moves the pointer, which makes every writer in flight
			// write its entry again, so an empty snapshot must not seal (a loop of them would starve writers).
			changed, err := d.draftChanged(ctx)
			if err != nil {
				return nil, err
			}
			if !changed {
				return nil, errNoChanges(id)
			}
		}
		// Seal: close the current generation (and drop the ones the head covers), open a new one.
		p, pv, err := d.current(ctx)
		if err != nil {
			return nil, err
		}
		sealed := pending(p, head)
		next := draftPointer{Cur: genRef{ID: newGenID()}, Sealed: sealed}
		sv, err := putJSON(ctx, e.blobs, d.draftKey, next, blob.PutOptions{IfMatch: pv})
		if lostRace(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if e.hookAfterSeal != nil {
			e.hookAfterSeal()
		}
		tree, _, err := d.fold(ctx, head, sealed)
		if err != nil {
			return nil, err
		}
		if tree.Digest() == head.rootOrEmpty() && !opts.AllowEmpty {
			// Nothing to commit. Drop the sealed generations (they change nothing) if no one moved the
			// pointer meanwhile, so repeated empty attempts do not pile them up.
			_, _ = putJSON(ctx, e.blobs, d.draftKey, draftPointer{Cur: next.Cur}, blob.PutOptions{IfMatch: sv})
			return nil, errNoChanges(id)
		}
		root, _, err := tree.Save(ctx)
		if err != nil {
			return nil, err
		}
		files, bytes := tree.Stats()
		rec := head.child(d.branch)
		rec.Message, rec.Author, rec.Time, rec.Root, rec.Files, rec.Bytes, rec.Lineage = opts.Message, opts.Author, e.clock(), root, files, bytes, opts.Lineage
		for _, g := range sealed {
			rec.Covered = append(rec.Covered, g.ID)
		}
		if claimed <= head.Seq { // a number claimed by an attempt that lost is reused unless history passed it
			if claimed, err = d.claimSeq(ctx); err != nil {
				return nil, err
			}
		}
		rec.Seq = claimed
		rec.ID = snapshotID(root, rec.Parent, rec.Message, rec.Author, rec.Time)
		// The commit point: the branch pointer moves from the head this attempt built on to rec.
		if err := d.commit(ctx, rec, hv); err != nil {
			if lostRace(err) {
				continue // another snapshot or merge moved the branch; our sealed generations are still pending
			}
			return nil, err
		}
		return d.withTags(ctx, d.snapshot(rec))
	}
	return nil, abortedAfter("create snapshot", e.retries)
}

// resolve returns the snapshot a ref names; draft refs are the caller's business (ErrInvalidArgument here).
func (d *ds) resolve(ctx context.Context, field string, ref resource.Ref) (snapRecord, error) {
	switch ref.Kind {
	case resource.RefLatest:
		h, _, err := d.loadHead(ctx)
		if err != nil {
			return h, err
		}
		if h.Seq == 0 {
			return h, fmt.Errorf("branch %q of dataset %q has no snapshots yet: %w", d.branch, d.id, apierr.ErrNotFound)
		}
		return h, nil
	case resource.RefSequence:
		return d.bySeq(ctx, ref.Sequence)
	case resource.RefIDPrefix:
		return d.byIDPrefix(ctx, ref.Value)
	case resource.RefTag:
		if b, err := d.onBranch(ctx, ref.Value); err == nil {
			return b.resolve(ctx, field, resource.Ref{Kind: resource.RefLatest})
		} else if !errors.Is(err, apierr.ErrNotFound) {
			return snapRecord{}, err
		}
		var t tagRecord
		_, err := getJSON(ctx, d.e.blobs, d.keys.tag(ref.Value), &t)
		if errors.Is(err, apierr.ErrNotFound) || (err == nil && t.Deleted) {
			return snapRecord{}, fmt.Errorf("tag %q of dataset %q: %w", ref.Value, d.id, apierr.ErrNotFound)
		}
		if err != nil {
			return snapRecord{}, err
		}
		return d.byIDPrefix(ctx, t.Snapshot)
	}
	return snapRecord{}, apierr.InvalidArgument(field, "\"draft\" is not a snapshot")
}

func (d *ds) bySeq(ctx context.Context, n int64) (snapRecord, error) {
	var r snapRecord
	_, err := getJSON(ctx, d.e.blobs, d.keys.seq(n), &r)
	if errors.Is(err, apierr.ErrNotFound) {
		// Committed by a writer that died before writing the record? Finishing every branch's head tells.
		if err := d.finishAll(ctx); err != nil {
			return r, err
		}
		_, err = getJSON(ctx, d.e.blobs, d.keys.seq(n), &r)
	}
	if errors.Is(err, apierr.ErrNotFound) {
		return r, fmt.Errorf("snapshot v%d of dataset %q: %w", n, d.id, apierr.ErrNotFound)
	}
	return r, err
}

func (d *ds) byIDPrefix(ctx context.Context, prefix string) (snapRecord, error) {
	p, err := d.e.blobs.List(ctx, blob.ListOptions{Prefix: d.keys.snapID(prefix), Limit: 2})
	if err == nil && len(p.Objects) == 0 {
		// Committed by a writer that died before writing the index? Finishing every branch's head tells.
		if err := d.finishAll(ctx); err != nil {
			return snapRecord{}, err
		}
		p, err = d.e.blobs.List(ctx, blob.ListOptions{Prefix: d.keys.snapID(prefix), Limit: 2})
	}
	if err != nil {
		return snapRecord{}, err
	}
	switch len(p.Objects) {
	case 0:
		return snapRecord{}, fmt.Errorf("no snapshot of dataset %q has an id starting with %q: %w", d.id, prefix, apierr.ErrNotFound)
	case 2:
		return snapRecord{}, fmt.Errorf("the id prefix %q names more than one snapshot of dataset %q; give more digits: %w", prefix, d.id, apierr.ErrFailedPrecondition)
	}
	var idx idIndex
	if _, err := getJSON(ctx, d.e.blobs, p.Objects[0].Key, &idx); err != nil {
		return snapRecord{}, err
	}
	r, err := d.bySeq(ctx, idx.Seq)
	if err == nil && !strings.HasPrefix(r.ID, prefix) {
		return r, fmt.Errorf("snapshot index of %s points at v%d (%s): %w", prefix, idx.Seq, r.ID, apierr.ErrDataLoss)
	}
	return r, err
}

func parseRef(field, s string) (resource.Ref, error) {
	r, err := resource.ParseRef(s)
	if err != nil {
		return r, apierr.InvalidArgument(field, "%v", err)
	}
	return r, nil
}

// GetSnapshot returns the snapshot ref names: "" (the branch's latest), "v3", an id prefix
// (ErrFailedPrecondition when ambiguous), a tag or a branch (its head). "draft" is InvalidArgument: it is not a snapshot.
func (e *Engine) GetSnapshot(ctx context.Context, id, ref string) (*Snapshot, error) {
	d, err := e.open(ctx, access.Reader, "name", id)
	if err != nil {
		return nil, err
	}
	r, err := parseRef("name", ref)
	if err != nil {
		return nil, err
	}
	rec, err := d.resolve(ctx, "name", r)
	if err != nil {
		return nil, err
	}
	return d.withTags(ctx, d.snapshot(rec))
}

// ListSnapshots lists the branch's history newest first: its head and first parents (a merge's second
// parent is on the branch it came from).
func (e *Engine) ListSnapshots(ctx context.Context, id string, page Page) ([]*Snapshot, string, error) {
	d, err := e.open(ctx, access.Reader, "parent", id)
	if err != nil {
		return nil, "", err
	}
	cur, err := page.open("snapshots", id)
	if err != nil {
		return nil, "", err
	}
	head, _, err := d.loadHead(ctx)
	if err != nil {
		return nil, "", err
	}
	// The branch's history is its first-parent chain; a page token is the number to continue from.
	from := head.Seq
	if cur.after != "" {
		var n int64
		if _, err := fmt.Sscan(cur.after, &n); err != nil || n < 1 || n > head.Seq {
			return nil, "", apierr.InvalidArgument("page_token", "does not belong to this listing")
		}
		from = n
	}
	tags, err := d.tagsBySnapshot(ctx)
	if err != nil {
		return nil, "", err
	}
	var out []*Snapshot
	n := from
	for ; n >= 1 && len(out) < cur.size; n = out[len(out)-1].parentSeq {
		rec := head
		if n != head.Seq {
			if rec, err = d.bySeq(ctx, n); err != nil {
				return nil, "", err
			}
		}
		s := d.snapshot(rec)
		s.Tags = tags[s.ID]
		s.parentSeq = rec.parentSeq()
		out = append(out, s)
	}
	next := ""
	if n >= 1 {
		next = cur.next(itoa(n))
	}
	return out, next, nil
}

func errNoChanges(id string) error {
	return fmt.Errorf("dataset %q: the draft has no changes since the head (set allow_empty to snapshot anyway): %w", id, apierr.ErrFailedPrecondition)
}
