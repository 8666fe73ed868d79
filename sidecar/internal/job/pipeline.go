package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/compute"
)

// What the pipeline scheduler (package pipeline, through pipelinesvc) needs from the job domain beyond
// JobService: checking a step's job before anything runs, the image a flavor would get, and the values a
// step exports to the steps after it.

// ExportEnvFile is where a run may write KEY=VALUE lines for the steps after it, relative to its work
// directory; the run finds the path in $KAMLD_EXPORT_ENV when it was submitted with SubmitOptions.ExportEnv.
const ExportEnvFile = ".kamld-export.env"

// SubmitOptions are the submit settings that are not part of the API's Job.
type SubmitOptions struct {
	// ExportEnv keeps ExportEnvFile beside the attempt's log (see ExportedEnv) and tells the run where it is.
	ExportEnv bool
}

// Validate checks a job spec exactly as Submit does, without resolving or submitting anything: nil, or
// INVALID_ARGUMENT with every field violation ("job.command[2]").
func (m *Manager) Validate(j *kamldv1.Job) error {
	_, _, err := validateSpec(j, m.flavorMap())
	return err
}

// ImageFor returns the image Submit would choose for the job's flavor and resources on this backend now.
func (m *Manager) ImageFor(ctx context.Context, j *kamldv1.Job) (string, error) {
	res, _, err := validateSpec(j, m.flavorMap())
	if err != nil {
		return "", err
	}
	offers, err := m.compute.Offers(ctx)
	if err != nil {
		return "", err
	}
	im, err := Choose(m.flavorMap()[j.Flavor], offers, res)
	if err != nil {
		return "", err
	}
	return im.Image, nil
}

// SubmitWith is Submit with the settings outside the API.
func (m *Manager) SubmitWith(ctx context.Context, in *kamldv1.Job, jobID, owner string, o SubmitOptions) (*kamldv1.Job, error) {
	return m.submit(ctx, in, jobID, owner, o)
}

// ExportedEnv opens what the job's attempt wrote to ExportEnvFile; ErrNotFound when it wrote nothing (or was
// not submitted with SubmitOptions.ExportEnv).
func (m *Manager) ExportedEnv(ctx context.Context, id string, attempt int32) (io.ReadCloser, error) {
	rc, _, err := m.store.Get(ctx, artifactKey(id, attempt, ExportEnvFile), blob.GetOptions{})
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, fmt.Errorf("job %s attempt %d exported no environment: %w", id, attempt, apierr.ErrNotFound)
	}
	return rc, err
}

// Instance is the compute backend instance whose jobs this manager drives.
func (m *Manager) Instance() string { return m.compute.Instance() }

// withExportEnv adds the export file to the spec of a run submitted with SubmitOptions.ExportEnv.
func withExportEnv(r *record, s compute.Spec) compute.Spec {
	if !r.ExportEnv {
		return s
	}
	s.Env = maps.Clone(s.Env)
	if s.Env == nil {
		s.Env = map[string]string{}
	}
	s.Env["KAMLD_EXPORT_ENV"] = ExportEnvFile
	s.Keep = append(append([]string(nil), s.Keep...), ExportEnvFile)
	s.Export = ExportEnvFile
	return s
}

// Ended returns a channel closed when the next job driven by this process reaches its final state, so a
// caller waiting for jobs (the pipeline scheduler) wakes at once instead of polling at length.
func (m *Manager) Ended() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ended
}

func (m *Manager) notifyEnded() {
	m.mu.Lock()
	defer m.mu.Unlock()
	close(m.ended)
	m.ended = make(chan struct{})
}
