// Package instrument decorates each backend interface (blob.Store, index.Index, query.Engine,
// compute.Backend) so every operation is timed into kamld_backend_operation_duration_seconds and the
// in-memory window (package observe). The wiring applies the decorators once, when it builds the backends:
// callers never time backend calls themselves. A decorator keeps the optional interfaces of what it wraps
// (blob.Mover, blob.Presigner, blob.LocalFiler, query.Exporter), so type assertions behave as before, and
// Unwrap returns the wrapped backend.
package instrument

import (
	"context"
	"io"

	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/observe"
)

// Unwrapper is implemented by every decorator of this package.
type Unwrapper interface{ Unwrap() any }

// Unwrap returns what v decorates, or v itself.
func Unwrap(v any) any {
	for {
		u, ok := v.(Unwrapper)
		if !ok {
			return v
		}
		v = u.Unwrap()
	}
}

type store struct {
	blob.Store
	name string
}

func (s *store) Unwrap() any { return s.Store }

func (s *store) Put(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) (blob.Info, error) {
	return call(ctx, s.name, "put", func(ctx context.Context) (blob.Info, error) { return s.Store.Put(ctx, key, r, opts) })
}

func (s *store) Get(ctx context.Context, key string, opts blob.GetOptions) (io.ReadCloser, blob.Info, error) {
	ctx, done := op(ctx, s.name, "get") // time to first byte: the read itself is the caller's pace
	rc, info, err := s.Store.Get(ctx, key, opts)
	done(err)
	return rc, info, err
}

func (s *store) Stat(ctx context.Context, key string) (blob.Info, error) {
	return call(ctx, s.name, "stat", func(ctx context.Context) (blob.Info, error) { return s.Store.Stat(ctx, key) })
}

func (s *store) List(ctx context.Context, opts blob.ListOptions) (blob.Page, error) {
	return call(ctx, s.name, "list", func(ctx context.Context) (blob.Page, error) { return s.Store.List(ctx, opts) })
}

func (s *store) Delete(ctx context.Context, key string, opts blob.DeleteOptions) error {
	return call0(ctx, s.name, "delete", func(ctx context.Context) error { return s.Store.Delete(ctx, key, opts) })
}

func (s *store) Health(ctx context.Context) error {
	return call0(ctx, s.name, "health", func(ctx context.Context) error { return s.Store.Health(ctx) })
}

// mover times Move for stores that have it.
type mover struct {
	m    blob.Mover
	name string
}

func (m mover) Move(ctx context.Context, src, dst string) (blob.Info, error) {
	return call(ctx, m.name, "move", func(ctx context.Context) (blob.Info, error) { return m.m.Move(ctx, src, dst) })
}

func (m mover) MoveIsRename() bool { return m.m.MoveIsRename() }

// presigner passes presigning through: it signs locally and does not talk to the store.
type presigner struct{ blob.Presigner }

// localFiler passes local paths through: no I/O.
type localFiler struct{ blob.LocalFiler }

// Blob decorates a blob store. The result implements exactly the optional interfaces s implements.
func Blob(s blob.Store) blob.Store {
	base := &store{Store: s, name: s.Name()}
	m, isMover := s.(blob.Mover)
	p, isPresigner := s.(blob.Presigner)
	l, isLocal := s.(blob.LocalFiler)
	mv := mover{m: m, name: base.name}
	switch {
	case isMover && isPresigner && isLocal:
		return &struct {
			*store
			mover
			presigner
			localFiler
		}{base, mv, presigner{p}, localFiler{l}}
	case isMover && isPresigner:
		return &struct {
			*store
			mover
			presigner
		}{base, mv, presigner{p}}
	case isMover && isLocal:
		return &struct {
			*store
			mover
			localFiler
		}{base, mv, localFiler{l}}
	case isPresigner && isLocal:
		return &struct {
			*store
			presigner
			localFiler
		}{base, presigner{p}, localFiler{l}}
	case isMover:
		return &struct {
			*store
			mover
		}{base, mv}
	case isPresigner:
		return &struct {
			*store
			presigner
		}{base, presigner{p}}
	case isLocal:
		return &struct {
			*store
			localFiler
		}{base, localFiler{l}}
	}
	return base
}

// op starts timing one operation (observe.Operation).
var op = observe.Operation

// call runs f as the operation named operation of backend, timed, with the context op returns.
func call[T any](ctx context.Context, backend, operation string, f func(context.Context) (T, error)) (T, error) {
	ctx, done := op(ctx, backend, operation)
	v, err := f(ctx)
	done(err)
	return v, err
}

// call0 is call for operations that return only an error.
func call0(ctx context.Context, backend, operation string, f func(context.Context) error) error {
	ctx, done := op(ctx, backend, operation)
	err := f(ctx)
	done(err)
	return err
}
