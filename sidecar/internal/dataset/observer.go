package dataset

import (
	"context"
	"strings"
)

// Observer hears about writes that may change a dataset's metadata or its latest snapshot — what a search
// index derives from the store (create, update, delete dataset; create snapshot). The store stays the source
// of truth: an observer records what it must catch up on, it never decides whether a write happens.
type Observer interface {
	// Changing is called before such a write to dataset id starts. An error fails the write before it changes
	// anything. done is called once the write has finished, whatever its outcome.
	Changing(ctx context.Context, id string) (done func(), err error)
}

// WithObserver makes the engine tell an observer about its writes; build receives the engine so the observer
// can read what changed.
func WithObserver(build func(*Engine) Observer) Option {
	return func(e *Engine) { e.observer = build(e) }
}

func (e *Engine) changing(ctx context.Context, id string) (func(), error) {
	if e.observer == nil {
		return func() {}, nil
	}
	id, _, _ = strings.Cut(id, "@") // a branch's changes are its dataset's
	return e.observer.Changing(ctx, id)
}
