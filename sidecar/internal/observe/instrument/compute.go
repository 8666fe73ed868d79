package instrument

import (
	"context"
	"io"

	"github.com/kamld/kamld/sidecar/internal/compute"
)

type computeBackend struct {
	compute.Backend
	name string
}

// Compute decorates a compute backend.
func Compute(b compute.Backend) compute.Backend { return &computeBackend{Backend: b, name: b.Name()} }

func (c *computeBackend) Unwrap() any { return c.Backend }

func (c *computeBackend) Health(ctx context.Context) error {
	ctx, done := op(ctx, c.name, "health")
	err := c.Backend.Health(ctx)
	done(err)
	return err
}

func (c *computeBackend) Offers(ctx context.Context) ([]compute.Offer, error) {
	ctx, done := op(ctx, c.name, "offers")
	o, err := c.Backend.Offers(ctx)
	done(err)
	return o, err
}

func (c *computeBackend) Start(ctx context.Context, spec compute.Spec) error {
	ctx, done := op(ctx, c.name, "start")
	err := c.Backend.Start(ctx, spec)
	done(err)
	return err
}

func (c *computeBackend) Status(ctx context.Context, id compute.RunID) (compute.Status, error) {
	ctx, done := op(ctx, c.name, "status")
	st, err := c.Backend.Status(ctx, id)
	done(err)
	return st, err
}

func (c *computeBackend) Cancel(ctx context.Context, id compute.RunID) error {
	ctx, done := op(ctx, c.name, "cancel")
	err := c.Backend.Cancel(ctx, id)
	done(err)
	return err
}

func (c *computeBackend) Logs(ctx context.Context, id compute.RunID, offset int64, follow bool) (io.ReadCloser, error) {
	ctx, done := op(ctx, c.name, "logs")
	rc, err := c.Backend.Logs(ctx, id, offset, follow)
	done(err)
	return rc, err
}

func (c *computeBackend) Artifact(ctx context.Context, id compute.RunID, path string) (io.ReadCloser, error) {
	ctx, done := op(ctx, c.name, "artifact")
	rc, err := c.Backend.Artifact(ctx, id, path)
	done(err)
	return rc, err
}

func (c *computeBackend) Runs(ctx context.Context) ([]compute.RunID, error) {
	ctx, done := op(ctx, c.name, "runs")
	r, err := c.Backend.Runs(ctx)
	done(err)
	return r, err
}

func (c *computeBackend) Forget(ctx context.Context, id compute.RunID) error {
	ctx, done := op(ctx, c.name, "forget")
	err := c.Backend.Forget(ctx, id)
	done(err)
	return err
}
