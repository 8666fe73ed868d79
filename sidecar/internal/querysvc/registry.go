package querysvc

import (
	"context"
	"fmt"
	"sync"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// registry tracks the queries running in this sidecar, for CancelQuery. It is per process: a browser's cancel
// reaches the sidecar that runs its query because the Jupyter server extension talks to one sidecar.
type registry struct {
	mu sync.Mutex
	m  map[string]*running
}

type running struct {
	owner  string
	cancel context.CancelCauseFunc
}

// errCancelled is the cause recorded when CancelQuery stops a query.
var errCancelled = fmt.Errorf("cancelled by CancelQuery: %w", context.Canceled)

func newRegistry() *registry { return &registry{m: map[string]*running{}} }

// add registers a query; ALREADY_EXISTS when a query of that id is running.
func (r *registry) add(id, owner string, cancel context.CancelCauseFunc) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[id]; ok {
		return fmt.Errorf("a query with id %q is already running: %w", id, apierr.ErrAlreadyExists)
	}
	r.m[id] = &running{owner: owner, cancel: cancel}
	return nil
}

func (r *registry) remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, id)
}

// cancel stops a running query if who started it. Another identity's query is reported as not found, so that
// query ids reveal nothing about other users.
func (r *registry) cancel(id, who string) error {
	r.mu.Lock()
	q, ok := r.m[id]
	r.mu.Unlock()
	if !ok || q.owner != who {
		return fmt.Errorf("no query %q of yours is running: %w", id, apierr.ErrNotFound)
	}
	q.cancel(errCancelled)
	return nil
}

// Running reports whether query id of who is running (for tests and diagnostics).
func (s *Service) Running(id, who string) bool {
	s.running.mu.Lock()
	defer s.running.mu.Unlock()
	q, ok := s.running.m[id]
	return ok && q.owner == who
}
