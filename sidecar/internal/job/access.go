package job

import (
	"context"
	"errors"
	"fmt"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/audit"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Access to jobs (docs/security.md, "Access control"): a job is visible to its owner and to platform admins
// only, and only they cancel it; a job's own token sees its job and changes nothing. Every entry point reads
// the record through load (or checks visible inside an update), the one place this rule is applied. A
// context without a principal is the sidecar's own work (drivers, recovery) and sees every job.
//
// Datasets: a submit reads every input through the dataset engine with the caller's context, which checks
// that the caller can read it, and checks here that the caller can write every output (canWriteOutputs).

// visible reports whether the caller may see job r.
func visible(ctx context.Context, r *record) bool {
	p, ok := auth.PrincipalFrom(ctx)
	switch {
	case !ok || p.Admin:
		return true
	case p.Kind == auth.KindJob:
		return p.Job != nil && p.Job.JobID == r.id()
	}
	return p.Name != "" && p.Name == r.Job.Owner
}

// notFound is the answer for a job that does not exist or that the caller may not see: the same, so job ids
// reveal nothing about other users' jobs.
func notFound(id string) error { return fmt.Errorf("job %q: %w", id, apierr.ErrNotFound) }

// load reads a job the caller may see.
func (m *Manager) load(ctx context.Context, id string) (*record, error) {
	r, err := loadRecord(ctx, m.store, id)
	if err == nil && !visible(ctx, r) {
		audit.Denied(ctx, "") // answered as a job that does not exist, audited as the denial it is
		return nil, notFound(id)
	}
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, notFound(id)
	}
	return r, err
}

// mayCancel refuses a job token: a job does not cancel jobs, its own included (its owner does).
func mayCancel(ctx context.Context, id string) error {
	if p, ok := auth.PrincipalFrom(ctx); ok && p.Kind == auth.KindJob {
		return fmt.Errorf("job %q: a job token cannot cancel jobs; its owner can: %w", id, apierr.ErrPermissionDenied)
	}
	return nil
}

// maySubmit refuses a job token: a job's token reads its inputs and writes its outputs, nothing else.
func maySubmit(ctx context.Context) error {
	if p, ok := auth.PrincipalFrom(ctx); ok && p.Kind == auth.KindJob {
		return fmt.Errorf("a job token cannot submit jobs: %w", apierr.ErrPermissionDenied)
	}
	return nil
}

// canWriteOutputs checks, through the dataset engine's one access check, that the caller may write every
// output dataset that exists already (a new one is created with the caller as its owner).
func (m *Manager) canWriteOutputs(ctx context.Context, outputs []string) error {
	for i, name := range outputs {
		id, _ := resource.ParseDatasetName("", name) // validated
		if err := m.datasets.Authorize(ctx, id, access.Writer); err != nil {
			return fmt.Errorf("job.outputs[%d].dataset %s: %w", i, name, err)
		}
	}
	return nil
}
