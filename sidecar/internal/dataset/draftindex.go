package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"

	"github.com/kamld/kamld/sidecar/internal/blob"
)

// Draft checkpoints (docs/architecture.md, "The draft index"): without them a draft read folds every entry
// written since the last snapshot, one object each, so a draft of 100,000 new files takes many seconds to
// list its first page. A checkpoint seals the current generation exactly as a snapshot does, folds
// everything before the new current generation into a manifest tree, saves it, and records its root on that
// generation (genRef.Index) by compare-and-swap of the pointer it sealed with. A draft read then loads that
// tree — paged, sorted, cheap like a version's — and applies only the entries written since.
//
// The index is a cache, never the truth: it is used only while the head and the generations before it are
// exactly those it was folded from (IndexOf binds them), so a merge or fast-forward that moves the head
// under a draft, or a tidy that drops generations, makes reads fold as before. Every step is optional: a
// checkpoint that loses a race or dies leaves one more sealed generation, which the draft and the next
// snapshot read as they read any other, so no write is lost or applied twice (the write protocol in draft.go
// already makes writers racing a seal write their entry again into the new generation).

// approxEntryBytes is about what one single draft entry object weighs (JSON of a path, digest, size, media
// type and time), to turn a byte threshold into an entry count.
const approxEntryBytes = 170

// foldStart returns the tree a fold of gens on head starts from and the generations to apply to it: from the
// last restore base, or the last checkpoint made on this head and these earlier generations, whichever is
// later; else the head's tree and all of gens.
func foldStart(head snapRecord, gens []genRef) (string, []genRef) {
	for i := len(gens) - 1; i >= 0; i-- {
		if gens[i].Base != "" {
			return gens[i].Base, gens[i:]
		}
		if gens[i].Index != "" && gens[i].IndexOf == indexOf(head, gens[:i]) {
			return gens[i].Index, gens[i:]
		}
	}
	return head.rootOrEmpty(), gens
}

// indexOf names what a checkpoint was folded from: the head (its id fixes its tree) and the generations
// before the checkpoint's own, whose entries are fixed once sealed (a late write into a sealed generation is
// always written again into a later one).
func indexOf(head snapRecord, before []genRef) string {
	h := sha256.New()
	h.Write([]byte(head.ID))
	for _, g := range before {
		h.Write([]byte("\n" + g.ID))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// sampled picks about one single-entry write in 16 to check whether the draft needs a checkpoint: the check
// lists the current generation, which costs more than the write itself. A path's entry object is rewritten,
// not added, when the same path is written again, so sampling by path loses nothing.
func sampled(path string) bool { return pathHash(path)[0] == '0' }

// indexIfDue checkpoints the draft when its current generation holds more than the engine's threshold of
// entry bytes. Failures are logged, never returned: the write that called it has succeeded.
func (d *ds) indexIfDue(ctx context.Context) {
	p, _, err := d.readPointer(ctx)
	if err != nil || p.Cur.ID == "" {
		return
	}
	var size int64
	err = d.e.eachKey(ctx, d.keys.gen(p.Cur.ID), func(o blob.Info) error {
		size += o.Size
		if size >= d.e.indexBytes {
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		d.checkpointQuietly(ctx)
	}
}

// errEnough stops a listing early.
var errEnough = errors.New("enough")

// checkpointQuietly runs checkpoint and logs what went wrong: a checkpoint only ever saves later reads work.
func (d *ds) checkpointQuietly(ctx context.Context) {
	if err := d.checkpoint(ctx); err != nil && ctx.Err() == nil {
		slog.Debug("draft checkpoint skipped", "dataset", d.id, "branch", d.branch, "err", err)
	}
}

// checkpoint seals the current generation, folds the draft before the new one into a tree and records it as
// the new generation's index. ErrAborted (a lost race) when anything moved the pointer meanwhile: the seal
// stays, the index is not recorded.
func (d *ds) checkpoint(ctx context.Context) error {
	p, pv, err := d.readPointer(ctx)
	if err != nil || p.Cur.ID == "" {
		return err
	}
	next := draftPointer{Cur: genRef{ID: newGenID()}, Sealed: append(slices.Clone(p.Sealed), p.Cur)}
	nv, err := putJSON(ctx, d.e.blobs, d.draftKey, next, blob.SwapOptions(pv))
	if err != nil {
		return err
	}
	head, _, err := d.loadHead(ctx)
	if err != nil {
		return err
	}
	gens := pending(next, head)
	before := gens[:len(gens)-1]
	tree, _, err := d.fold(ctx, head, before)
	if err != nil {
		return err
	}
	root, _, err := tree.Save(ctx)
	if err != nil {
		return err
	}
	next.Cur.Index, next.Cur.IndexOf = root, indexOf(head, before)
	_, err = putJSON(ctx, d.e.blobs, d.draftKey, next, blob.SwapOptions(nv))
	return err
}
