// Package changefeed counts dataset writes so that clients can wait for the next one (ChangeService, see
// docs/architecture.md): a sequence per process, an epoch that names the process, and a wait that returns as
// soon as the sequence moves past what the caller has seen.
package changefeed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/kamld/kamld/sidecar/internal/dataset"
)

// Feed is safe for concurrent use.
type Feed struct {
	epoch string
	mu    sync.Mutex
	seq   int64
	// moved is closed and replaced on every change: waiters select on the one they saw.
	moved chan struct{}
	// stopping is closed by Stop: a sidecar shutting down answers its long polls at once.
	stopping chan struct{}
	stopOnce sync.Once
}

// New returns a feed at sequence 0 with a fresh epoch.
func New() *Feed {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Feed{epoch: hex.EncodeToString(b), moved: make(chan struct{}), stopping: make(chan struct{})}
}

// Epoch names this process's sequence.
func (f *Feed) Epoch() string { return f.epoch }

// Current returns the sequence now.
func (f *Feed) Current() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seq
}

// Bump moves the sequence on and wakes every waiter.
func (f *Feed) Bump() {
	f.mu.Lock()
	f.seq++
	close(f.moved)
	f.moved = make(chan struct{})
	f.mu.Unlock()
}

// Stop answers every wait now and every later one at once, so that a graceful shutdown is not held up by
// clients' long polls (they ask again, and reach the next process). Safe to call more than once.
func (f *Feed) Stop() { f.stopOnce.Do(func() { close(f.stopping) }) }

// Wait returns the sequence once it is past after, or after wait, or when ctx ends, or once the feed is
// stopped — whichever is first.
func (f *Feed) Wait(ctx context.Context, after int64, wait time.Duration) int64 {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		f.mu.Lock()
		seq, moved := f.seq, f.moved
		f.mu.Unlock()
		if seq > after {
			return seq
		}
		select {
		case <-moved:
		case <-timer.C:
			return f.Current()
		case <-ctx.Done():
			return f.Current()
		case <-f.stopping:
			return f.Current()
		}
	}
}

// Observer is a dataset.Observer that moves the feed on once a write has finished, and passes every call to
// next (which may fail the write) first.
func (f *Feed) Observer(next dataset.Observer) dataset.Observer {
	return observer{feed: f, next: next}
}

type observer struct {
	feed *Feed
	next dataset.Observer
}

func (o observer) Changing(ctx context.Context, id string) (func(), error) {
	done := func() {}
	if o.next != nil {
		var err error
		if done, err = o.next.Changing(ctx, id); err != nil {
			return nil, err
		}
	}
	return func() {
		done()
		o.feed.Bump()
	}, nil
}
