package instrument

import (
	"context"

	"github.com/kamld/kamld/sidecar/internal/query"
)

type engine struct {
	query.Engine
	name string
}

func (e *engine) Unwrap() any { return e.Engine }

// Query times until the first rows are ready; streaming the rest is the caller's pace (RPC metrics cover it).
func (e *engine) Query(ctx context.Context, req query.Request) (query.Rows, error) {
	return call(ctx, e.name, "query", func(ctx context.Context) (query.Rows, error) { return e.Engine.Query(ctx, req) })
}

func (e *engine) Health(ctx context.Context) error {
	return call0(ctx, e.name, "health", func(ctx context.Context) error { return e.Engine.Health(ctx) })
}

type exporter struct {
	x    query.Exporter
	name string
}

func (x exporter) ExportParquet(ctx context.Context, req query.Request) (string, int64, func(), error) {
	ctx, done := op(ctx, x.name, "export")
	path, rows, release, err := x.x.ExportParquet(ctx, req)
	done(err)
	return path, rows, release, err
}

// SQL decorates a SQL engine, keeping query.Exporter when e has it.
func SQL(e query.Engine) query.Engine {
	base := &engine{Engine: e, name: e.Name()}
	if x, ok := e.(query.Exporter); ok {
		return &struct {
			*engine
			exporter
		}{base, exporter{x, base.name}}
	}
	return base
}
