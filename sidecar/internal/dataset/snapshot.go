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

func (d *ds) snapshot(r snapRecord) *Snapshot {
	return &Snapshot{Dataset: d.id, ID: r.ID, Sequence: r.Seq, Parent: r.Parent, Message: r.Message, Author: r.Author,
		CreateTime: r.Time, Stats: Stats{FileCount: r.Files, TotalBytes: r.Bytes}, ManifestRoot: r.rootOrEmpty(), Lineage: r.Lineage}
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

// loadHead returns the latest snapshot. The head object is a hint that may lag behind: seq/<n> objects decide
// history (created create-only, so each number is taken once, by a snapshot whose parent is n-1). loadHead
// follows seq/<n+1> until there is none, finishing on the way any commit whose writer died before updating
// the head (helping, as in lock-free algorithms).
func (d *ds) loadHead(ctx context.Context) (snapRecord, string, error) {
	var h snapRecord
	hv, err := getJSON(ctx, d.e.blobs, d.keys.head(), &h)
	if err != nil && !errors.Is(err, apierr.ErrNotFound) {
		return h, "", err
	}
	for {
		var next snapRecord
		_, err := getJSON(ctx, d.e.blobs, d.keys.seq(h.Seq+1), &next)
		if errors.Is(err, apierr.ErrNotFound) {
			return h, hv, nil
		}
		if err != nil {
			return h, "", err
		}
		if next.Parent != h.ID {
			return h, "", fmt.Errorf("snapshot v%d's parent is %s, not v%d %s: %w", next.Seq, next.Parent, h.Seq, h.ID, apierr.ErrDataLoss)
		}
		if hv, err = d.finish(ctx, next, hv); err != nil {
			return h, "", err
		}
		h = next
	}
}

// finish completes a claimed snapshot: its id index, the head, and the draft pointer's sealed list. Every step
// is idempotent and may be done by anyone (the snapshot's writer, or a reader that found it unfinished).
func (d *ds) finish(ctx context.Context, rec snapRecord, headVer string) (string, error) {
	if _, err := putJSON(ctx, d.e.blobs, d.keys.snapID(rec.ID), idIndex{Seq: rec.Seq}, blob.PutOptions{IfNoneMatch: true}); err != nil && !lostRace(err) {
		return "", err
	}
	ver, err := putJSON(ctx, d.e.blobs, d.keys.head(), rec, casOpts(headVer))
	if lostRace(err) {
		ver, err = "", nil // someone else advanced it; a later read re-reads it
	}
	if err != nil {
		return "", err
	}
	// Drop the covered generations from the pointer: only tidiness (the draft skips covered generations
	// anyway), so a lost race is left to the next snapshot.
	for range 3 {
		p, pv, err := d.readPointer(ctx)
		if err != nil {
			return ver, nil
		}
		kept := slices.DeleteFunc(slices.Clone(p.Sealed), func(g genRef) bool { return slices.Contains(rec.Covered, g.ID) })
		if len(kept) == len(p.Sealed) {
			break
		}
		p.Sealed = kept
		if _, err := putJSON(ctx, d.e.blobs, d.keys.draft(), p, blob.PutOptions{IfMatch: pv}); err == nil || !lostRace(err) {
			break
		}
	}
	return ver, nil
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
	d, err := e.open(ctx, "parent", id)
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < e.retries; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
		}
		head, _, err := d.loadHead(ctx)
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
		sv, err := putJSON(ctx, e.blobs, d.keys.draft(), next, blob.PutOptions{IfMatch: pv})
		if lostRace(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if e.hookAfterSeal != nil {
			e.hookAfterSeal()
		}
		tree, err := d.fold(ctx, head.rootOrEmpty(), sealed)
		if err != nil {
			return nil, err
		}
		if tree.Digest() == head.rootOrEmpty() && !opts.AllowEmpty {
			// Nothing to commit. Drop the sealed generations (they change nothing) if no one moved the
			// pointer meanwhile, so repeated empty attempts do not pile them up.
			_, _ = putJSON(ctx, e.blobs, d.keys.draft(), draftPointer{Cur: next.Cur}, blob.PutOptions{IfMatch: sv})
			return nil, errNoChanges(id)
		}
		root, _, err := tree.Save(ctx)
		if err != nil {
			return nil, err
		}
		files, bytes := tree.Stats()
		rec := snapRecord{Seq: head.Seq + 1, Parent: head.ID, Message: opts.Message, Author: opts.Author, Time: e.clock(),
			Root: root, Files: files, Bytes: bytes, Lineage: opts.Lineage}
		for _, g := range sealed {
			rec.Covered = append(rec.Covered, g.ID)
		}
		rec.ID = snapshotID(root, rec.Parent, rec.Message, rec.Author, rec.Time)
		// The commit point: seq/<n> is created once, by one snapshot whose parent is n-1.
		if _, err := putJSON(ctx, e.blobs, d.keys.seq(rec.Seq), rec, blob.PutOptions{IfNoneMatch: true}); err != nil {
			if lostRace(err) {
				continue // another snapshot took this number; its sealed generations include ours
			}
			return nil, err
		}
		// Finish it (index, head, pointer tidying) by reading the head forward, as any reader would.
		if _, _, err := d.loadHead(ctx); err != nil {
			return nil, fmt.Errorf("snapshot v%d is committed, but finishing it failed (the next read finishes it): %w", rec.Seq, err)
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
			return h, fmt.Errorf("dataset %q has no snapshots yet: %w", d.id, apierr.ErrNotFound)
		}
		return h, nil
	case resource.RefSequence:
		return d.bySeq(ctx, ref.Sequence)
	case resource.RefIDPrefix:
		return d.byIDPrefix(ctx, ref.Value)
	case resource.RefTag:
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
		return r, fmt.Errorf("snapshot v%d of dataset %q: %w", n, d.id, apierr.ErrNotFound)
	}
	return r, err
}

func (d *ds) byIDPrefix(ctx context.Context, prefix string) (snapRecord, error) {
	if _, _, err := d.loadHead(ctx); err != nil { // finishes unfinished commits, so their index exists
		return snapRecord{}, err
	}
	p, err := d.e.blobs.List(ctx, blob.ListOptions{Prefix: d.keys.snapID(prefix), Limit: 2})
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

// GetSnapshot returns the snapshot ref names: "" (latest), "v3", an id prefix (ErrFailedPrecondition when
// ambiguous) or a tag. "draft" is InvalidArgument: it is not a snapshot.
func (e *Engine) GetSnapshot(ctx context.Context, id, ref string) (*Snapshot, error) {
	d, err := e.open(ctx, "name", id)
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

// ListSnapshots lists snapshots newest first.
func (e *Engine) ListSnapshots(ctx context.Context, id string, page Page) ([]*Snapshot, string, error) {
	d, err := e.open(ctx, "parent", id)
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
	from := head.Seq
	if cur.after != "" {
		var n int64
		if _, err := fmt.Sscan(cur.after, &n); err != nil || n < 1 || n > head.Seq+1 {
			return nil, "", apierr.InvalidArgument("page_token", "does not belong to this listing")
		}
		from = n - 1
	}
	tags, err := d.tagsBySnapshot(ctx)
	if err != nil {
		return nil, "", err
	}
	var out []*Snapshot
	for n := from; n >= 1 && len(out) < cur.size; n-- {
		rec, err := d.bySeq(ctx, n)
		if err != nil {
			return nil, "", err
		}
		s := d.snapshot(rec)
		s.Tags = tags[s.ID]
		out = append(out, s)
	}
	next := ""
	if len(out) > 0 && out[len(out)-1].Sequence > 1 {
		next = cur.next(itoa(out[len(out)-1].Sequence))
	}
	return out, next, nil
}

func errNoChanges(id string) error {
	return fmt.Errorf("dataset %q: the draft has no changes since the head (set allow_empty to snapshot anyway): %w", id, apierr.ErrFailedPrecondition)
}
