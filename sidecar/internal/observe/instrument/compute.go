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
	return call0(ctx, c.name, "health", func(ctx context.Context) error { return c.Backend.Health(ctx) })
}

func (c *computeBackend) Offers(ctx context.Context) ([]compute.Offer, error) {
	return call(ctx, c.name, "offers", func(ctx context.Context) ([]compute.Offer, error) { return c.Backend.Offers(ctx) })
}

func (c *computeBackend) Start(ctx context.Context, spec compute.Spec) error {
	return call0(ctx, c.name, "start", func(ctx context.Context) error { return c.Backend.Start(ctx, spec) })
}

func (c *computeBackend) Status(ctx context.Context, id compute.RunID) (compute.Status, error) {
	return call(ctx, c.name, "status", func(ctx context.Context) (compute.Status, error) { return c.Backend.Status(ctx, id) })
}

func (c *computeBackend) Cancel(ctx context.Context, id compute.RunID) error {
	return call0(ctx, c.name, "cancel", func(ctx context.Context) error { return c.Backend.Cancel(ctx, id) })
}

func (c *computeBackend) Logs(ctx context.Context, id compute.RunID, offset int64, follow bool) (io.ReadCloser, error) {
	return call(ctx, c.name, "logs", func(ctx context.Context) (io.ReadCloser, error) { return c.Backend.Logs(ctx, id, offset, follow) })
}

func (c *computeBackend) Artifact(ctx context.Context, id compute.RunID, path string) (io.ReadCloser, error) {
	return call(ctx, c.name, "artifact", func(ctx context.Context) (io.ReadCloser, error) { return c.Backend.Artifact(ctx, id, path) })
}

func (c *computeBackend) Runs(ctx context.Context) ([]compute.RunID, error) {
	return call(ctx, c.name, "runs", func(ctx context.Context) ([]compute.RunID, error) { return c.Backend.Runs(ctx) })
}

func (c *computeBackend) Forget(ctx context.Context, id compute.RunID) error {
	return call0(ctx, c.name, "forget", func(ctx context.Context) error { return c.Backend.Forget(ctx, id) })
}
