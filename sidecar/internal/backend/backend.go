// Package backend describes the pluggable engines behind kamld's capabilities (blob store, index, SQL,
// compute) the same way, so the server can report and wait on them without knowing what they are.
package backend

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/kamld/kamld/sidecar/internal/observe"
)

// Capability names, in the order SystemService reports them.
const (
	Blob    = "blob"
	Index   = "index"
	SQL     = "sql"
	Compute = "compute"
)

// Capabilities lists every capability in report order.
var Capabilities = []string{Blob, Index, SQL, Compute}

// Backend is what every engine offers the server.
type Backend interface {
	// Name is the configured backend name, e.g. "fs" or "elasticsearch".
	Name() string
	// Location is where it lives: a directory or an endpoint URL, never with credentials.
	Location() string
	// Health returns nil when the backend answers; otherwise an error a user can act on. It must return within
	// the context's deadline and must not change any data.
	Health(ctx context.Context) error
	// Close releases resources; the backend is not used afterwards.
	Close() error
}

// Starter is a backend that starts on first use (DuckDB opens with its first query, and closes again when
// idle). It is serving while not started: it has nothing that can fail until then.
type Starter interface {
	// Started reports whether it is running now.
	Started() bool
}

// Status is the last health result of one capability's backend.
type Status struct {
	Capability string
	Backend    string
	Location   string
	Err        error // nil when serving
	NotStarted bool  // a Starter not running now
	// History is what this process saw of the backend's health over time (since when it fails, how often).
	History observe.Health
}

// Set is the backend chosen for each capability, built by the wiring package. Every capability has one.
type Set struct {
	byCapability map[string]Backend
	mu           sync.Mutex
	cached       []Status
	checkedAt    time.Time
	ttl          time.Duration
	timeout      time.Duration
	history      *observe.HealthHistory
}

// NewSet groups backends by capability. Health results are cached for one second so that frequent polling
// (panels, readiness probes) does not load the backends.
func NewSet(byCapability map[string]Backend) *Set {
	return &Set{byCapability: byCapability, ttl: time.Second, timeout: 2 * time.Second, history: observe.NewHealthHistory()}
}

// Get returns the backend of a capability, or nil.
func (s *Set) Get(capability string) Backend { return s.byCapability[capability] }

// Statuses checks every backend (concurrently, each bounded by a timeout) or returns the cached result.
func (s *Set) Statuses(ctx context.Context) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && time.Since(s.checkedAt) < s.ttl {
		return s.cached
	}
	out := make([]Status, len(Capabilities))
	var wg sync.WaitGroup
	for i, c := range Capabilities {
		b := s.byCapability[c]
		out[i] = Status{Capability: c}
		out[i].Backend, out[i].Location, out[i].NotStarted = b.Name(), b.Location(), notStarted(b)
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, s.timeout)
			defer cancel()
			out[i].Err = b.Health(cctx)
		})
	}
	wg.Wait()
	for i := range out {
		s.history.Record(out[i].Capability, out[i].Err)
		observe.BackendUp(out[i].Capability, out[i].Backend, out[i].Err == nil)
		out[i].History = s.history.Get(out[i].Capability)
	}
	s.cached, s.checkedAt = out, time.Now()
	return out
}

// notStarted reports whether b, or the backend it decorates (observe/instrument), is a Starter not running.
func notStarted(b any) bool {
	for {
		if s, ok := b.(Starter); ok {
			return !s.Started()
		}
		u, ok := b.(interface{ Unwrap() any })
		if !ok {
			return false
		}
		b = u.Unwrap()
	}
}

// Ready reports whether every backend is serving, and the first problem if not.
func (s *Set) Ready(ctx context.Context) error {
	for _, st := range s.Statuses(ctx) {
		if st.Err != nil {
			return errors.New(st.Capability + " backend " + st.Backend + ": " + st.Err.Error())
		}
	}
	return nil
}

// Close closes every backend.
func (s *Set) Close() error {
	var errs []error
	for _, b := range s.byCapability {
		errs = append(errs, b.Close())
	}
	return errors.Join(errs...)
}
