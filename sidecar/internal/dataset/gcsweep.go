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
)

// sweep removes the candidates in batches. Each batch is announced by a marker object that exists from before
// its first re-check until after its last delete, and stops deleting sweepBatchDeadline after the marker was
// written; a writer that rewrote an object it reuses waits for markers to go and then checks the object is
// there (fence.go). Every object is re-checked right before its delete: one written again since it was
// listed (a writer reusing it) is kept.
func (e *Engine) sweep(ctx context.Context, run string, cands []gcCandidate, r *GCReport) error {
	for batch := 0; len(cands) > 0; batch++ {
		n := min(len(cands), blob.MaxListLimit)
		left, err := e.sweepBatch(ctx, fmt.Sprintf("%s%s-%06d", sweepPrefix, run, batch), cands[:n], r)
		if err != nil {
			return err
		}
		cands = append(left, cands[n:]...)
	}
	return nil
}

// sweepBatch handles batch under one marker and returns the candidates it had no time for.
func (e *Engine) sweepBatch(ctx context.Context, marker string, batch []gcCandidate, r *GCReport) ([]gcCandidate, error) {
	if _, err := e.blobs.Put(ctx, marker, strings.NewReader(marker), blob.PutOptions{IfNoneMatch: true}); err != nil {
		return nil, err
	}
	defer func() { _ = e.blobs.Delete(context.WithoutCancel(ctx), marker, blob.DeleteOptions{}) }()
	began := time.Now()
	var (
		mu   sync.Mutex
		errs = make([]error, len(batch))
		done = make([]bool, len(batch))
	)
	parallel(len(batch), func(i int) {
		if time.Since(began) > sweepBatchDeadline || ctx.Err() != nil {
			return // left for the next batch, under a new marker
		}
		removed, young, err := e.sweepOne(ctx, batch[i])
		mu.Lock()
		defer mu.Unlock()
		done[i], errs[i] = true, err
		switch {
		case removed:
			count(r.Removed, batch[i].kind, batch[i].size)
		case young:
			count(r.Young, batch[i].kind, batch[i].size)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var left []gcCandidate
	for i, c := range batch {
		if !done[i] {
			left = append(left, c)
		}
	}
	return left, nil
}

// sweepOne re-checks one candidate and deletes it if it is still old enough.
func (e *Engine) sweepOne(ctx context.Context, c gcCandidate) (removed, young bool, err error) {
	info, err := e.blobs.Stat(ctx, c.key)
	if errors.Is(err, apierr.ErrNotFound) {
		return false, false, nil // removed meanwhile (a dataset deletion, another collection)
	}
	if err != nil {
		return false, false, err
	}
	if !info.ModTime.Before(c.before) {
		return false, true, nil // written again since it was listed: a writer is reusing it
	}
	if e.hookSweepDelete != nil {
		e.hookSweepDelete(c.key)
	}
	if err := e.blobs.Delete(ctx, c.key, blob.DeleteOptions{}); err != nil {
		return false, false, err
	}
	return true, false, nil
}
