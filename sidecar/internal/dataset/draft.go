package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// The draft protocol (doc.go tells the whole story):
//
//   - The draft pointer (datasets/<id>/<uid>/draft) names the current generation, where writers put their
//     entries, and the sealed generations: closed by a snapshot in progress, not yet known to be committed.
//     A generation may carry a base: a manifest root it starts from instead of the head (set by Restore).
//   - A writer puts its entry into the current generation, then re-reads the pointer: still current means
//     the write happened before any seal, so whichever snapshot seals that generation will read the entry. If
//     the pointer moved, the entry is written again into the new current generation (applying an entry twice
//     is idempotent). Only then does the write return success.
//   - The draft is the head's tree with the generations the head has not covered applied in order.

// genRef is one generation of draft entries.
type genRef struct {
	ID   string `json:"id"`
	Base string `json:"base,omitempty"` // manifest root to start from instead of the head (Restore)
	// Index, with IndexOf, is a checkpoint (draftindex.go): the manifest root of the draft as it stood before
	// this generation's entries, valid only for the head and earlier generations IndexOf names.
	Index   string `json:"index,omitempty"`
	IndexOf string `json:"indexOf,omitempty"`
}

// draftPointer is the CAS-only draft pointer object.
type draftPointer struct {
	Cur    genRef   `json:"cur"`
	Sealed []genRef `json:"sealed,omitempty"`
}

// draftEntry is one change in a generation: datasets/<id>/<uid>/gens/<gen>/<sha256(path)>. Keyed by a hash so
// any path fits in a key and concurrent writers of one path contend on one object.
type draftEntry struct {
	Path      string    `json:"path"`
	Deleted   bool      `json:"deleted,omitempty"`
	Digest    string    `json:"digest,omitempty"`
	Size      int64     `json:"size,omitempty"`
	MediaType string    `json:"mediaType,omitempty"`
	ModTime   time.Time `json:"modTime"`
}

func (d draftEntry) change() manifest.Change {
	if d.Deleted {
		return manifest.Change{Path: d.Path}
	}
	return manifest.Change{Path: d.Path, Entry: &manifest.Entry{Path: d.Path, Digest: d.Digest, Size: d.Size, MediaType: d.MediaType, ModTime: d.ModTime}}
}

func pathHash(p string) string {
	h := sha256.Sum256([]byte(p))
	return hex.EncodeToString(h[:])
}

func (d *ds) readPointer(ctx context.Context) (draftPointer, string, error) {
	var p draftPointer
	ver, err := getJSON(ctx, d.e.blobs, d.draftKey, &p)
	if errors.Is(err, apierr.ErrNotFound) {
		return draftPointer{}, "", nil
	}
	return p, ver, err
}

// current returns the pointer, creating it with a first generation if the dataset has none yet.
func (d *ds) current(ctx context.Context) (draftPointer, string, error) {
	for attempt := 0; attempt < d.e.retries; attempt++ {
		p, ver, err := d.readPointer(ctx)
		if err != nil || p.Cur.ID != "" {
			return p, ver, err
		}
		p.Cur = genRef{ID: newGenID()}
		ver, err = putJSON(ctx, d.e.blobs, d.draftKey, p, blob.SwapOptions(ver))
		if err == nil {
			return p, ver, nil
		}
		if !lostRace(err) {
			return p, ver, err
		}
	}
	return draftPointer{}, "", abortedAfter("create the draft", d.e.retries)
}

// newGenID is time-ordered (for people reading the store) and random (unique across sidecars).
func newGenID() string { return fmt.Sprintf("%016x-%s", time.Now().UnixNano(), randomID()[:8]) }

// pending returns the generations whose entries the head has not yet covered, oldest first, current last.
func pending(p draftPointer, head snapRecord) []genRef {
	var out []genRef
	for _, g := range p.Sealed {
		if !slices.Contains(head.Covered, g.ID) {
			out = append(out, g)
		}
	}
	if p.Cur.ID != "" {
		out = append(out, p.Cur)
	}
	return out
}

// readGen returns a generation's entries, single entries and batch objects alike, ordered by their time
// (stable, so entries of one batch keep their order): of several for one path the last is the one that
// counts, as manifest.Tree.Apply and draftChanged take it.
func (d *ds) readGen(ctx context.Context, gen string) ([]draftEntry, error) {
	var keys []string
	after := ""
	for {
		p, err := d.e.blobs.List(ctx, blob.ListOptions{Prefix: d.keys.gen(gen), StartAfter: after})
		if err != nil {
			return nil, err
		}
		for _, o := range p.Objects {
			keys = append(keys, o.Key)
			after = o.Key
		}
		if !p.More || len(p.Objects) == 0 {
			break
		}
	}
	read := make([][]draftEntry, len(keys))
	errs := make([]error, len(keys))
	parallel(len(keys), func(i int) {
		if strings.HasPrefix(keys[i][len(d.keys.gen(gen)):], batchPrefix) {
			_, errs[i] = getJSON(ctx, d.e.blobs, keys[i], &read[i])
		} else {
			read[i] = make([]draftEntry, 1)
			_, errs[i] = getJSON(ctx, d.e.blobs, keys[i], &read[i][0])
		}
		if errors.Is(errs[i], apierr.ErrNotFound) { // cannot happen (entries are never deleted), but harmless
			errs[i] = nil
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(slices.Concat(read...), func(e draftEntry) bool { return e.Path == "" })
	slices.SortStableFunc(out, func(a, b draftEntry) int { return a.ModTime.Compare(b.ModTime) })
	return out, nil
}

// parallel runs fn(0..n-1) on a few goroutines: object stores answer many small requests in parallel far
// faster than in sequence.
func parallel(n int, fn func(i int)) {
	const workers = 8
	if n <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// fold applies generations to head's tree, in order, starting from the last restore base or valid checkpoint
// (foldStart), and returns the tree and how many entries it applied.
func (d *ds) fold(ctx context.Context, head snapRecord, gens []genRef) (*manifest.Tree, int, error) {
	root, gens := foldStart(head, gens)
	tree, err := d.e.trees.Load(ctx, root)
	if err != nil {
		return nil, 0, err
	}
	applied := 0
	for _, g := range gens {
		entries, err := d.readGen(ctx, g.ID)
		if err != nil {
			return nil, 0, err
		}
		changes := make([]manifest.Change, len(entries))
		for i, e := range entries {
			changes[i] = e.change()
		}
		if tree, err = tree.Apply(ctx, changes); err != nil {
			return nil, 0, err
		}
		applied += len(entries)
	}
	return tree, applied, nil
}

// view is a consistent reading of the draft: the pointer, the head it was read with, and the draft's tree
// (new leaves in memory only).
type view struct {
	ptr    draftPointer
	ptrVer string
	head   snapRecord
	tree   *manifest.Tree
}

// draftView reads the draft consistently: pointer, then head, then the pending generations, then the pointer
// again. An unchanged pointer means no seal, restore or cleanup happened in between, so the head read covers
// exactly a prefix of the sealed generations and the fold is the draft at one instant.
func (d *ds) draftView(ctx context.Context) (view, error) {
	for attempt := 0; attempt < d.e.retries; attempt++ {
		p, pv, err := d.readPointer(ctx)
		if err != nil {
			return view{}, err
		}
		head, _, err := d.loadHead(ctx)
		if err != nil {
			return view{}, err
		}
		tree, applied, err := d.fold(ctx, head, pending(p, head))
		if err != nil {
			return view{}, err
		}
		_, pv2, err := d.readPointer(ctx)
		if err != nil {
			return view{}, err
		}
		if pv2 == pv {
			if applied >= d.e.indexEntries {
				d.checkpointQuietly(ctx) // a draft written before checkpoints existed, or one that outran them
			}
			return view{ptr: p, ptrVer: pv, head: head, tree: tree}, nil
		}
		if err := backoff(ctx, attempt); err != nil {
			return view{}, err
		}
	}
	return view{}, abortedAfter("read the draft", d.e.retries)
}

// condition decides whether a write may go ahead given the draft's current entry at its path (nil: none).
type condition func(cur *manifest.Entry) error

// putEntries records entries in the draft; see the protocol above. With cond (single entry only) the write
// is conditional on the draft's current state of that path, checked atomically against concurrent writers of
// the same path in the same generation (the entry object is written create-only or by compare-and-swap).
func (d *ds) putEntries(ctx context.Context, entries []draftEntry, cond condition) error {
	err := d.inCurrentGen(ctx, func(gen string, first bool) error {
		if cond != nil && first {
			return d.putConditional(ctx, gen, &entries[0], cond)
		}
		// A retry after a seal (or restore): the entry may have been read by that snapshot or not, so it is
		// written again into the new generation. The condition held when the write was first made; it is
		// not checked again.
		errs := make([]error, len(entries))
		parallel(len(entries), func(i int) {
			_, errs[i] = putJSON(ctx, d.e.blobs, d.keys.entry(gen, pathHash(entries[i].Path)), entries[i], blob.PutOptions{})
		})
		return errors.Join(errs...)
	})
	if err == nil && (len(entries) > 1 || sampled(entries[0].Path)) {
		d.indexIfDue(ctx)
	}
	return err
}

// putBatch records entries in the draft as one object of the current generation (a batch upload): one write
// whatever their number. The object's name is the same in every generation it is written to.
func (d *ds) putBatch(ctx context.Context, entries []draftEntry) error {
	name := batchPrefix + randomID()
	err := d.inCurrentGen(ctx, func(gen string, _ bool) error {
		_, err := putJSON(ctx, d.e.blobs, d.keys.gen(gen)+name, entries, blob.PutOptions{})
		return err
	})
	if err == nil {
		d.indexIfDue(ctx)
	}
	return err
}

// batchPrefix starts the key of a batch object in a generation, a JSON array of entries; a single entry's key
// is a path hash (64 hex digits), which never starts so.
const batchPrefix = "batch-"

// inCurrentGen runs write into the current generation, then re-reads the pointer: still current means the
// write happened before any seal; otherwise it runs write again (first false) into the new one. write
// returning errRetry starts an attempt over in whatever generation is current then.
func (d *ds) inCurrentGen(ctx context.Context, write func(gen string, first bool) error) error {
	first := true
	for attempt := 0; attempt < d.e.retries; attempt++ {
		p, _, err := d.current(ctx)
		if err != nil {
			return err
		}
		gen := p.Cur.ID
		if err := write(gen, first); errors.Is(err, errRetry) {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
			continue
		} else if err != nil {
			return err
		}
		after, _, err := d.readPointer(ctx)
		if err != nil {
			return err
		}
		if after.Cur.ID == gen {
			return d.stillLive(ctx)
		}
		first = false
	}
	return abortedAfter("write to the draft", d.e.retries)
}

// putConditional decides on the draft as read (the path's own entry object of this generation, and any batch
// object holding the path), then writes the entry object by compare-and-swap of what it read, so a concurrent
// single write of the path makes it decide again. The entry is stamped later than the state it decided on,
// so it wins over a batch that wrote the path before (readGen orders a generation's entries by time).
func (d *ds) putConditional(ctx context.Context, gen string, ent *draftEntry, cond condition) error {
	key := d.keys.entry(gen, pathHash(ent.Path))
	var own draftEntry
	ver, err := getJSON(ctx, d.e.blobs, key, &own)
	if err != nil && !errors.Is(err, apierr.ErrNotFound) {
		return err
	}
	v, err := d.draftView(ctx)
	if err != nil {
		return err
	}
	if v.ptr.Cur.ID != gen {
		return errRetry // the draft moved on: retry in the new generation
	}
	var cur *manifest.Entry
	if e, ok, err := v.tree.Get(ctx, ent.Path); err != nil {
		return err
	} else if ok {
		cur = &e
		if !ent.ModTime.After(e.ModTime) {
			ent.ModTime = e.ModTime.Add(time.Nanosecond)
		}
	}
	if err := cond(cur); err != nil {
		return err
	}
	_, err = putJSON(ctx, d.e.blobs, key, ent, blob.SwapOptions(ver))
	if lostRace(err) {
		return errRetry // a concurrent write to the same path won: decide again on its result
	}
	return err
}

// stillLive reports ErrNotFound when the handle's branch was deleted (or renamed) since it was opened: a write
// that returns success was in the draft while the branch was live, so it linearises before the delete.
func (d *ds) stillLive(ctx context.Context) error {
	if d.branch == resource.DefaultBranch {
		return nil
	}
	br, _, err := d.readBranch(ctx)
	if err == nil && d.keys.branchDraft(br.Draft) != d.draftKey {
		err = fmt.Errorf("branch %q of dataset %q was deleted: %w", d.branch, d.id, apierr.ErrNotFound)
	}
	return err
}

// errRetry marks a lost race inside one attempt of a conditional write.
var errRetry = errors.New("retry")

// isUnder reports whether path is inside folder (which ends in '/').
func isUnder(path, folder string) bool { return strings.HasPrefix(path, folder) }

// draftChanged reports whether the draft differs from the head, reading only the pending entries and the
// head's leaves they fall in — not re-chunking anything (CreateSnapshot asks this before every seal).
func (d *ds) draftChanged(ctx context.Context) (bool, error) {
	for attempt := 0; attempt < d.e.retries; attempt++ {
		p, pv, err := d.readPointer(ctx)
		if err != nil {
			return false, err
		}
		head, _, err := d.loadHead(ctx)
		if err != nil {
			return false, err
		}
		// A restore or a checkpoint: only the last one and what follows it count.
		base, gens := foldStart(head, pending(p, head))
		if base != head.rootOrEmpty() {
			// Restored or written to another tree (trees are canonical; a later entry undoing every change
			// is rare, and the snapshot's own fold then finds nothing to commit).
			return true, nil
		}
		last := map[string]draftEntry{}
		for _, g := range gens {
			entries, err := d.readGen(ctx, g.ID)
			if err != nil {
				return false, err
			}
			for _, e := range entries {
				last[e.Path] = e
			}
		}
		tree, err := d.e.trees.Load(ctx, base)
		if err != nil {
			return false, err
		}
		changed := false
		for path, e := range last {
			cur, ok, err := tree.Get(ctx, path)
			if err != nil {
				return false, err
			}
			if c := e.change(); (c.Entry == nil && ok) || (c.Entry != nil && (!ok || !c.Entry.Same(cur))) {
				changed = true
				break
			}
		}
		if _, pv2, err := d.readPointer(ctx); err != nil || pv2 == pv {
			return changed, err
		}
	}
	return false, abortedAfter("read the draft", d.e.retries)
}
