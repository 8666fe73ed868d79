package job

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// reasonStarting marks a QUEUED attempt whose run is being handed to the backend: from then on a cancel must
// go through the backend, since the run may exist.
const reasonStarting = "Starting"

// drive starts the job's driver unless this process already runs one.
func (m *Manager) drive(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.drivers[id] || m.ctx.Err() != nil {
		return
	}
	m.drivers[id] = true
	m.wg.Go(func() {
		defer func() {
			m.mu.Lock()
			delete(m.drivers, id)
			m.mu.Unlock()
		}()
		d := &driver{m: m, id: id}
		d.loop()
	})
}

// driver takes one job through its states, one backend observation at a time. Every step reads the record
// afresh and changes it by compare-and-swap, so a driver resumed after a crash continues where the last
// one stopped, and a cancel recorded by any sidecar is seen on the next step.
type driver struct {
	m          *Manager
	id         string
	cancelSent int32  // attempt whose run was told to cancel
	version    string // of the record at the last step
	lastStatus compute.Status
	changed    bool // the last step saw the record or the run change
}

// minPoll is the driver's first poll interval after a change; it doubles while nothing changes, up to the
// manager's poll interval. Jobs move fast right after a transition (a local run starts within tens of
// milliseconds of being handed over) and slowly in between (a training run), so this reports quick
// transitions quickly without polling long runs hard.
const minPoll = 5 * time.Millisecond

func (d *driver) loop() {
	ctx := d.m.ctx
	interval := minPoll
	for ctx.Err() == nil {
		done, err := d.step(ctx)
		if done {
			_ = d.m.store.Delete(context.WithoutCancel(ctx), activeKey(d.id), blob.DeleteOptions{})
			d.m.notifyEnded()
			return
		}
		if err != nil && ctx.Err() == nil {
			// Store or backend trouble: keep the job as it is and try again; nothing is lost.
			d.m.log.Warn("job driver step failed; retrying", "job", d.id, "error", err)
			sleep(ctx, 10*d.m.poll+time.Second)
			continue
		}
		if d.changed {
			interval = minPoll
		} else {
			interval = min(2*interval, d.m.poll)
		}
		sleep(ctx, interval)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// step makes one observation and records what changed; done when the job is final.
func (d *driver) step(ctx context.Context) (bool, error) {
	r, err := loadRecord(ctx, d.m.store, d.id)
	if err != nil {
		return errors.Is(err, apierr.ErrNotFound), err
	}
	if r.final() {
		return true, nil
	}
	d.changed = r.version != d.version
	d.version = r.version
	if r.Job.State == kamldv1.JobState_JOB_STATE_QUEUED {
		return false, d.start(ctx, r)
	}
	run := runOf(r)
	if r.CancelRequested && d.cancelSent != r.Job.Attempt {
		if err := d.m.compute.Cancel(ctx, run); err != nil && !errors.Is(err, apierr.ErrNotFound) {
			return false, err
		}
		d.cancelSent = r.Job.Attempt
	}
	st, err := d.m.compute.Status(ctx, run)
	if errors.Is(err, apierr.ErrNotFound) {
		// Handed to the backend (PENDING or later) and unknown there: its run is gone without a result.
		st = compute.Status{Phase: compute.PhaseFailed, Reason: compute.ReasonLost, ExitCode: -1,
			Message: "the " + d.m.compute.Name() + " backend no longer knows this run"}
	} else if err != nil {
		return false, err
	}
	if st.Phase != d.lastStatus.Phase || st.Reason != d.lastStatus.Reason {
		d.changed, d.lastStatus = true, st
	}
	return d.observe(ctx, r, st)
}

// start hands a QUEUED attempt to the backend (after its retry delay), unless a cancel came first.
func (d *driver) start(ctx context.Context, r *record) error {
	if r.CancelRequested {
		_, err := d.transition(ctx, kamldv1.JobState_JOB_STATE_CANCELLED, compute.ReasonCancelledByUser, cancelMessage(r.CancelReason))
		return err
	}
	if wait := time.Until(r.RetryAt); wait > 0 {
		sleep(ctx, min(wait, time.Second))
		return nil
	}
	if !r.startRequested() {
		// Recorded before Start: a cancel arriving from now on goes through the backend.
		r2, err := update(ctx, d.m.store, d.id, func(r *record) error {
			if r.Job.State != kamldv1.JobState_JOB_STATE_QUEUED || r.CancelRequested {
				return errNoChange
			}
			r.Job.Events = append(r.Job.Events, &kamldv1.JobEvent{Job: r.Job.Name, State: r.Job.State, Reason: reasonStarting,
				Message: "handing the run to the " + d.m.compute.Name() + " backend", Time: now(d.m), Attempt: r.Job.Attempt})
			return nil
		})
		if err != nil || r2.CancelRequested || !r2.startRequested() {
			return err
		}
		r = r2
	}
	spec, err := d.withToken(ctx, d.spec(r))
	if err != nil {
		return err
	}
	err = d.m.compute.Start(ctx, spec)
	switch {
	case errors.Is(err, apierr.ErrUnavailable):
		return err // retried by the loop; Start is idempotent by run id
	case err != nil:
		_, terr := d.transition(ctx, kamldv1.JobState_JOB_STATE_FAILED, compute.ReasonError, "the backend refused the run: "+err.Error())
		return terr
	}
	st, err := d.m.compute.Status(ctx, runOf(r))
	if err != nil {
		st = compute.Status{Phase: compute.PhasePending, Reason: compute.ReasonWaitingForResources}
	}
	if st.Phase != compute.PhasePending {
		st = compute.Status{Phase: compute.PhasePending, Reason: compute.ReasonWaitingForResources}
	}
	_, err = d.transition(ctx, kamldv1.JobState_JOB_STATE_PENDING, st.Reason, st.Message)
	return err
}

func now(m *Manager) *timestamppb.Timestamp { return timestamppb.New(m.now().UTC()) }

// spec is the run of the record's current attempt.
func (d *driver) spec(r *record) compute.Spec {
	s := compute.Spec{
		Run: runOf(r), Image: r.Job.Image, Command: r.Command, Env: r.Job.Env, Files: r.Files, Keep: r.Keep,
		Resources: r.Resources, NodeSelector: r.Job.NodeSelector, Timeout: r.Timeout, Labels: r.Job.Labels,
	}
	if r.TraceParent != "" { // the run continues the submitter's trace (OpenTelemetry SDKs read TRACEPARENT)
		s.Env = maps.Clone(s.Env)
		if s.Env == nil {
			s.Env = map[string]string{}
		}
		s.Env["TRACEPARENT"] = r.TraceParent
	}
	for _, in := range r.Job.Inputs {
		ds, snap, _ := resource.ParseChildName("", in.Snapshot, "snapshots")
		s.Inputs = append(s.Inputs, compute.Input{Dataset: ds, Snapshot: snap, Path: in.Path})
	}
	for _, out := range r.Job.Outputs {
		id, _ := resource.ParseDatasetName("", out.Dataset)
		s.Outputs = append(s.Outputs, compute.Output{Path: out.Path, Dataset: r.outputTarget(id)})
	}
	return withExportEnv(r, s)
}

// observe records what the backend reports.
func (d *driver) observe(ctx context.Context, r *record, st compute.Status) (bool, error) {
	switch st.Phase {
	case compute.PhasePending:
		if last := r.lastEvent(); r.Job.State != kamldv1.JobState_JOB_STATE_PENDING || last == nil || last.Reason != st.Reason {
			_, err := d.transition(ctx, kamldv1.JobState_JOB_STATE_PENDING, st.Reason, st.Message)
			return false, err
		}
	case compute.PhaseRunning:
		if r.Job.State != kamldv1.JobState_JOB_STATE_RUNNING {
			_, err := d.transition(ctx, kamldv1.JobState_JOB_STATE_RUNNING, compute.ReasonStarted, "")
			return false, err
		}
	case compute.PhaseSucceeded:
		return d.succeeded(ctx, r)
	case compute.PhaseCancelled:
		return d.ended(ctx, r, kamldv1.JobState_JOB_STATE_CANCELLED, compute.ReasonCancelledByUser, cancelMessage(r.CancelReason))
	case compute.PhaseFailed:
		return d.failed(ctx, r, st)
	}
	return false, nil
}

// succeeded commits the outputs (exactly once), archives the log and records SUCCEEDED.
func (d *driver) succeeded(ctx context.Context, r *record) (bool, error) {
	if r.Job.State != kamldv1.JobState_JOB_STATE_RUNNING {
		// A run too quick to be seen running still ran: keep the history truthful.
		if _, err := d.transition(ctx, kamldv1.JobState_JOB_STATE_RUNNING, compute.ReasonStarted, ""); err != nil {
			return false, err
		}
	}
	if err := d.commitOutputs(ctx); err != nil {
		if errors.Is(err, apierr.ErrUnavailable) || ctx.Err() != nil {
			return false, err
		}
		return d.ended(ctx, r, kamldv1.JobState_JOB_STATE_FAILED, compute.ReasonOutputsFailed, "committing outputs failed: "+err.Error())
	}
	return d.ended(ctx, r, kamldv1.JobState_JOB_STATE_SUCCEEDED, compute.ReasonCompleted, "")
}

// failed retries the attempt while retries remain (a cancel stops that), else records FAILED.
func (d *driver) failed(ctx context.Context, r *record, st compute.Status) (bool, error) {
	msg := st.Message
	if st.ExitCode > 0 && !strings.Contains(msg, "code") {
		msg = strings.TrimSpace(fmt.Sprintf("%s (exit code %d)", msg, st.ExitCode))
	}
	if r.CancelRequested || r.Job.Attempt > r.Job.MaxRetries {
		return d.ended(ctx, r, kamldv1.JobState_JOB_STATE_FAILED, st.Reason, msg)
	}
	if err := d.archive(ctx, r); err != nil {
		return false, err
	}
	delay := min(d.m.retryBase<<(r.Job.Attempt-1), 5*time.Minute)
	_, err := update(ctx, d.m.store, d.id, func(r2 *record) error {
		if r2.Job.Attempt != r.Job.Attempt || r2.final() {
			return errNoChange
		}
		r2.transition(d.m.now().UTC(), kamldv1.JobState_JOB_STATE_FAILED, st.Reason, msg)
		r2.Job.State = kamldv1.JobState_JOB_STATE_QUEUED // the attempt failed, the job goes on
		r2.Job.EndTime = nil
		r2.Job.Attempt++
		r2.RetryAt = d.m.now().Add(delay)
		r2.transition(d.m.now().UTC(), kamldv1.JobState_JOB_STATE_QUEUED, "Retrying",
			fmt.Sprintf("attempt %d of %d in %s", r2.Job.Attempt, r2.Job.MaxRetries+1, delay))
		return nil
	})
	if err == nil {
		_ = d.m.compute.Forget(ctx, runOf(r))
	}
	return false, err
}

// ended archives the attempt's log and artifacts, records the final state, then lets the backend forget
// the run (after the record, so that a crash in between leaves a run a restarted driver can still read).
func (d *driver) ended(ctx context.Context, r *record, state kamldv1.JobState, reason, msg string) (bool, error) {
	if err := d.archive(ctx, r); err != nil {
		return false, err
	}
	if _, err := d.transition(ctx, state, reason, msg); err != nil {
		return false, err
	}
	_ = d.m.compute.Forget(ctx, runOf(r))
	if state != kamldv1.JobState_JOB_STATE_SUCCEEDED && reason != compute.ReasonOutputsFailed {
		d.dropBranches(ctx, r) // nothing was committed to them; a failed merge keeps its branch
	}
	return true, nil
}

// archive copies the attempt's log (and kept files) into the store.
func (d *driver) archive(ctx context.Context, r *record) error {
	run := runOf(r)
	rc, err := d.m.compute.Logs(ctx, run, 0, false)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil // nothing left to archive (a lost run)
	}
	if err != nil {
		return err
	}
	_, err = d.m.store.Put(ctx, logKey(d.id, r.Job.Attempt), rc, blob.PutOptions{})
	rc.Close()
	if err != nil {
		return err
	}
	for _, p := range withExportEnv(r, compute.Spec{Keep: r.Keep}).Keep {
		a, err := d.m.compute.Artifact(ctx, run, p)
		if errors.Is(err, apierr.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		_, err = d.m.store.Put(ctx, artifactKey(d.id, r.Job.Attempt, p), a, blob.PutOptions{})
		a.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// transition records a state change, unless the record is final already.
func (d *driver) transition(ctx context.Context, state kamldv1.JobState, reason, msg string) (*record, error) {
	return update(ctx, d.m.store, d.id, func(r *record) error {
		if r.final() {
			return errNoChange
		}
		r.transition(d.m.now().UTC(), state, reason, msg)
		return nil
	})
}

// Variables of a run's environment that reach the API (docs/jobs.md): the job's own token and, when the
// sidecar knows where it listens, its REST URL and gRPC address.
const (
	EnvJobToken = "KAMLD_JOB_TOKEN"
	EnvURL      = "KAMLD_URL"
	EnvGRPC     = "KAMLD_GRPC"
)

// withToken adds the job's token and the API's addresses to a run's environment, when job tokens are on.
func (d *driver) withToken(ctx context.Context, s compute.Spec) (compute.Spec, error) {
	if d.m.tokens == nil {
		return s, nil
	}
	tok, err := d.m.tokens.Mint(ctx, s.Run.Job)
	if err != nil {
		return s, err
	}
	s.Env = maps.Clone(s.Env)
	if s.Env == nil {
		s.Env = map[string]string{}
	}
	s.Env[EnvJobToken] = tok
	if api := d.m.api.Load(); api != nil {
		s.Env[EnvURL], s.Env[EnvGRPC] = api[0], api[1]
	}
	return s, nil
}
