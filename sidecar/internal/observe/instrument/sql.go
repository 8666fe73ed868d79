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
	ctx, done := op(ctx, e.name, "query")
	rows, err := e.Engine.Query(ctx, req)
	done(err)
	return rows, err
}

func (e *engine) Health(ctx context.Context) error {
	ctx, done := op(ctx, e.name, "health")
	err := e.Engine.Health(ctx)
	done(err)
	return err
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
