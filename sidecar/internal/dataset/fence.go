package dataset

import (
	"context"
	"errors"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// The writer's side of garbage collection (doc.go, "Garbage collection", has the argument).
//
// A sweep deletes in batches, each announced by a marker object gc/sweeps/<run>-<n> that exists from before
// the batch's first re-check until after its last delete. A write that finds the content it is about to
// reference stored already, and older than the refresh age, writes it again (so any sweep's re-check after
// that sees it young), then waits until no sweep marker is live, then checks the object is still there —
// writing it again if a sweep took it in between.

const (
	gcPrefix    = "gc/"
	sweepPrefix = gcPrefix + "sweeps/"
	clockPrefix = gcPrefix + "clock/"

	// sweepBatchDeadline bounds one batch of deletes: a sweep stops deleting in a batch this long after
	// writing its marker, so its deletes all happen while writers still honour the marker.
	sweepBatchDeadline = 20 * time.Second
	// sweepStale is when writers stop waiting for a marker: its sweep is dead (killed before removing it).
	// It is far above sweepBatchDeadline, so clock skew between a writer and the store up to their
	// difference is harmless. A later collection removes stale markers.
	sweepStale = 5 * time.Minute
)

// reuse is the manifest.ReuseFunc and the ingest hook: content the caller is about to reference is stored
// already at key (info from a Stat). A young object is left alone: a collection can only take objects older
// than its grace, which is at least twice the refresh age. An old one is written again by rewrite and then
// confirmed to have survived any sweep in progress.
func (e *Engine) reuse(ctx context.Context, key string, info blob.Info, rewrite func(context.Context) error) error {
	if time.Since(info.ModTime) < e.refreshAge {
		return nil
	}
	for attempt := 0; attempt < e.retries; attempt++ {
		if err := rewrite(ctx); err != nil {
			return err
		}
		if e.hookRewrite != nil {
			e.hookRewrite(key, attempt)
		}
		if err := e.awaitSweeps(ctx); err != nil {
			return err
		}
		_, err := e.blobs.Stat(ctx, key)
		if err == nil {
			return nil
		}
		if !errors.Is(err, apierr.ErrNotFound) {
			return err
		}
		// A sweep that had re-checked the object before our write deleted it after: write it again. The
		// next sweep's re-check sees it young.
	}
	return abortedAfter("keep "+key+" from garbage collection", e.retries)
}

// awaitSweeps returns once no live sweep marker exists.
func (e *Engine) awaitSweeps(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		live, err := e.liveSweeps(ctx)
		if err != nil || !live {
			return err
		}
		t := time.NewTimer(min(20*time.Millisecond<<min(attempt, 6), time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (e *Engine) liveSweeps(ctx context.Context) (bool, error) {
	p, err := e.blobs.List(ctx, blob.ListOptions{Prefix: sweepPrefix})
	if err != nil {
		return false, err
	}
	for _, o := range p.Objects {
		if time.Since(o.ModTime) < sweepStale {
			return true, nil
		}
	}
	return false, nil
}
