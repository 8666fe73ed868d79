package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// drive starts the run's driver unless this process runs one already.
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
		(&driver{m: m, id: id}).loop()
	})
}

// driver takes one run through its steps. Each round reads the record afresh, decides, saves the decisions
// by compare-and-swap and only then acts on them (submits and cancels jobs, records cache entries): a driver
// resumed after a crash finds every decision recorded, and job ids are deterministic, so a submit it repeats
// returns the job made before — no step runs twice, and outputs are committed once (the job domain's
// exactly-once commit).
type driver struct {
	m      *Manager
	id     string
	c      *compiled
	forced map[string]bool
	dirty  bool
}

// minPoll is the first interval after a change; it doubles while nothing changes, up to the manager's poll.
const minPoll = 5 * time.Millisecond

func (d *driver) loop() {
	ctx := d.m.ctx
	interval := minPoll
	for ctx.Err() == nil {
		ended := d.m.jobs.Ended() // before the round: a job ending during it wakes the next sleep
		done, changed, err := d.round(ctx)
		if done {
			_ = d.m.store.Delete(context.WithoutCancel(ctx), activeKey(d.id), blob.DeleteOptions{})
			return
		}
		if err != nil && ctx.Err() == nil {
			d.m.log.Warn("pipeline driver round failed; retrying", "run", d.id, "error", err)
			sleep(ctx, d.m.poll+time.Second)
			continue
		}
		if changed {
			interval = minPoll
		} else {
			interval = min(2*interval, d.m.poll)
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-ended: // a job ended: maybe a step of this run
			interval = minPoll
		}
		t.Stop()
	}
}

// work is what a round does once its decisions are saved.
type work struct {
	submit, cancel, remember []*StepRun // remember: steps that succeeded, for the cache
}

// round makes one pass over the run; done when the run is final.
func (d *driver) round(ctx context.Context) (done, changed bool, err error) {
	r, err := loadRun(ctx, d.m.store, d.id)
	if err != nil {
		return errors.Is(err, apierr.ErrNotFound), false, err
	}
	if r.Final() {
		return true, false, nil
	}
	if d.c == nil {
		req := Request{Source: r.Source, Params: r.Params, Files: r.Files, BaseDir: r.BaseDir, RerunFrom: r.RerunFrom}
		if d.c, d.forced, err = d.m.compile(req); err != nil {
			// Working files read from the workspace changed shape or vanished since the run was created.
			_, err = updateRun(ctx, d.m.store, d.id, func(r *Run) error {
				r.State, r.Ended, r.Message = RunFailed, d.m.now(), "the pipeline no longer validates: "+err.Error()
				return nil
			})
			return false, true, err
		}
	}
	d.dirty = false
	var w work
	if err := d.advance(ctx, r, &w); err != nil {
		return false, false, err
	}
	d.conclude(r)
	// Cache entries before the record: a run seen final has them all. Writing one for a step whose success
	// is then not saved is harmless — the job did succeed and commit — and the next round writes it again.
	for _, st := range w.remember {
		if err := d.m.remember(ctx, r, st); err != nil {
			return false, false, err
		}
	}
	if d.dirty {
		if err := saveRun(ctx, d.m.store, r); errors.Is(err, apierr.ErrAborted) {
			return false, true, nil // a cancel arrived meanwhile: decide again
		} else if err != nil {
			return false, false, err
		}
	}
	return r.Final(), d.dirty, d.act(ctx, r, w)
}

func (d *driver) set(s *StepRun, state StepState, msg string) {
	s.State, s.Message, d.dirty = state, msg, true
	if state.final() {
		s.Ended = d.m.now()
	}
}

// advance moves every step as far as it can go now.
func (d *driver) advance(ctx context.Context, r *Run, w *work) error {
	stopping := ""
	if r.CancelRequested {
		stopping = "the run was cancelled"
	}
	running := 0
	for _, s := range r.Steps {
		if s.State == StepFailed && d.c.spec.OnFailure != "continue" && stopping == "" {
			stopping = "step " + s.Name + " failed"
		}
		if s.State == StepRunning {
			running++
		}
	}
	limit := d.m.maxParallel
	if d.c.spec.MaxParallel > 0 {
		limit = d.c.spec.MaxParallel
	}
	done := map[string]upstream{}
	for _, s := range r.Steps {
		cs := d.c.byName[s.Name]
		switch s.State {
		case StepRunning:
			if err := d.follow(ctx, r, s, cs, stopping, w); err != nil {
				return err
			}
			if s.State == StepFailed && d.c.spec.OnFailure != "continue" && stopping == "" {
				stopping = "step " + s.Name + " failed"
			}
			if s.State != StepRunning {
				running--
			}
		case StepWaiting:
			if ok, err := d.ready(ctx, r, s, cs, stopping, done, running < limit, w); err != nil {
				return err
			} else if ok {
				running++
			}
		}
		if s.State.ok() {
			done[s.Name] = upstream{outputs: s.Outputs, exported: s.Exported}
		}
	}
	return nil
}

// follow reads a running step's job and records what happened.
func (d *driver) follow(ctx context.Context, r *Run, s *StepRun, cs *cstep, stopping string, w *work) error {
	job := s.Jobs[len(s.Jobs)-1]
	if stopping != "" && !s.CancelSent {
		s.CancelSent, d.dirty = true, true
		w.cancel = append(w.cancel, s)
	}
	st, err := d.m.jobs.Status(ctx, job)
	if errors.Is(err, apierr.ErrNotFound) {
		if stopping != "" {
			d.set(s, StepCancelled, stopping)
		} else {
			w.submit = append(w.submit, s) // decided and recorded, but the submit was lost: submit it again
		}
		return nil
	}
	if err != nil {
		return err
	}
	switch st.State {
	case JobSucceeded:
		exported, err := d.exported(ctx, job)
		if transient(ctx, err) {
			return err // read it again next round
		}
		if err != nil {
			d.set(s, StepFailed, err.Error())
			return nil
		}
		s.Outputs = map[string]string{}
		for _, o := range s.Spec.Outputs {
			s.Outputs[o.Path] = o.Dataset + "@" + st.Outputs[o.Dataset]
		}
		s.Exported = exported
		d.set(s, StepSucceeded, "")
		if cs.cached() { // a step with cache: false neither reuses results nor offers its own for reuse
			w.remember = append(w.remember, s)
		}
	case JobCancelled:
		d.set(s, StepCancelled, orDefault(stopping, "its job "+job+" was cancelled"))
	case JobFailed:
		msg := fmt.Sprintf("attempt %d failed: %s %s", s.Attempt, st.Reason, st.Message)
		if stopping == "" && retryable(cs, s.Attempt, st.ExitCode) {
			s.Attempt++
			s.Jobs = append(s.Jobs, jobID(r.ID, cs.index, s.Attempt))
			s.Message, d.dirty = msg+"; retrying", true
			w.submit = append(w.submit, s)
			return nil
		}
		d.set(s, StepFailed, msg)
	}
	return nil
}

// transient errors are worth another round: the store or the backend is away, or the sidecar stops.
func transient(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, apierr.ErrUnavailable) || errors.Is(err, apierr.ErrAborted) ||
		errors.Is(err, context.DeadlineExceeded)
}

// retryable: attempts remain, and the exit code is one the step retries on (any, when none are listed).
func retryable(cs *cstep, attempt, exitCode int) bool {
	if attempt > cs.Retries.Limit {
		return false
	}
	return len(cs.Retries.OnExitCodes) == 0 || slices.Contains(cs.Retries.OnExitCodes, exitCode)
}

// ready starts a waiting step whose dependencies all succeeded: from the cache, or as a job when a slot is
// free. It reports whether the step now runs.
func (d *driver) ready(ctx context.Context, r *Run, s *StepRun, cs *cstep, stopping string, done map[string]upstream, free bool, w *work) (bool, error) {
	if stopping != "" {
		d.set(s, map[bool]StepState{true: StepCancelled, false: StepSkipped}[r.CancelRequested], stopping)
		return false, nil
	}
	for _, dep := range s.Deps {
		ds := r.step(dep)
		if ds.State.final() && !ds.State.ok() {
			d.set(s, StepSkipped, "step "+dep+" did not succeed")
			return false, nil
		}
		if !ds.State.ok() {
			return false, nil
		}
	}
	spec := d.c.resolve(cs, done, r.Pinned)
	dec, err := d.m.decide(ctx, d.c, cs, spec, d.forced, r.RerunFrom)
	if err != nil {
		if transient(ctx, err) {
			return false, err
		}
		d.set(s, StepFailed, err.Error()) // say, no image of its flavor fits the backend: it never could run
		return false, nil
	}
	s.Key, s.KeyParts, s.Reasons, s.ImageNote = dec.key, dec.parts, dec.reasons, imageNote(dec.image)
	if dec.hit != nil {
		s.Outputs, s.Exported, s.CachedFrom, s.CachedJob = dec.hit.Outputs, dec.hit.Exported, dec.hit.Run, dec.hit.Job
		s.Started = d.m.now()
		d.set(s, StepCached, "")
		return false, nil
	}
	if !free {
		return false, nil
	}
	spec.Labels = map[string]string{"kamld.io/pipeline": d.c.spec.Name, "kamld.io/pipeline-run": r.ID, "kamld.io/pipeline-step": s.Name}
	// The record keeps the job without its files' bytes (they are the run's, compiled again on resume).
	stored := spec
	stored.Files = nil
	s.Spec, s.Attempt, s.Jobs, s.Started = &stored, 1, []string{jobID(r.ID, cs.index, 1)}, d.m.now()
	d.set(s, StepRunning, "")
	w.submit = append(w.submit, s)
	return true, nil
}

// conclude ends the run once every step is final.
func (d *driver) conclude(r *Run) {
	var failed []string
	for _, s := range r.Steps {
		if !s.State.final() {
			return
		}
		if s.State == StepFailed {
			failed = append(failed, s.Name)
		}
	}
	r.Ended, d.dirty = d.m.now(), true
	switch {
	case r.CancelRequested:
		r.State, r.Message = RunCancelled, cancelMessage(r.CancelReason)
	case len(failed) > 0:
		r.State, r.Message = RunFailed, "failed steps: "+strings.Join(failed, ", ")
	default:
		r.State = RunSucceeded
		for _, s := range r.Steps {
			if s.State == StepSkipped {
				r.State, r.Message = RunFailed, "steps were skipped"
			}
		}
	}
}

func cancelMessage(reason string) string {
	return "cancelled by a user" + map[bool]string{true: "", false: ": " + reason}[reason == ""]
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// act carries out the saved decisions.
func (d *driver) act(ctx context.Context, r *Run, w work) error {
	for _, s := range w.cancel {
		if err := d.m.jobs.Cancel(ctx, s.Jobs[len(s.Jobs)-1], "pipeline run "+r.ID+" stops"); err != nil && !errors.Is(err, apierr.ErrNotFound) {
			return err
		}
	}
	for _, s := range w.submit {
		job := s.Jobs[len(s.Jobs)-1]
		spec := *s.Spec
		spec.Files = d.c.byName[s.Name].job.Files
		err := d.m.jobs.Submit(ctx, job, spec, r.Owner)
		if err == nil {
			continue
		}
		if transient(ctx, err) {
			return err // the next round finds no job and submits again
		}
		_, err = updateRun(ctx, d.m.store, r.ID, func(r *Run) error {
			rs := r.step(s.Name)
			if rs.State != StepRunning || rs.Jobs[len(rs.Jobs)-1] != job {
				return errNoChange
			}
			rs.State, rs.Message, rs.Ended = StepFailed, "its job was refused: "+err.Error(), d.m.now()
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// exported reads the KEY=VALUE lines the job wrote for the steps after it (the same file on every backend:
// the Kubernetes helper carries it back in the Pod's termination message). A line that is not NAME=VALUE
// with a name of the user's own fails the step, rather than a later step missing the variable.
func (d *driver) exported(ctx context.Context, job string) (map[string]string, error) {
	b, err := d.m.jobs.ExportedEnv(ctx, job)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("exported environment unreadable: %w", err)
	}
	env, bad := ParseExportedEnv(b)
	if len(bad) > 0 {
		return nil, fmt.Errorf("exported environment ($KAMLD_EXPORT_ENV) refused: %s", strings.Join(bad, "; "))
	}
	return env, nil
}

// ParseExportedEnv reads KEY=VALUE lines ("export " before the name, blank lines and # comments allowed; one
// pair of surrounding quotes is removed). It returns the variables and a description of each line skipped.
func ParseExportedEnv(b []byte) (map[string]string, []string) {
	env := map[string]string{}
	var bad []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		k = strings.TrimSpace(k)
		if !ok || !varNameRE.MatchString(k) || strings.HasPrefix(k, "KAMLD_") {
			bad = append(bad, fmt.Sprintf("line %d is not NAME=VALUE with a name of letters, digits and _ "+
				"(not starting with a digit or KAMLD_)", n))
			continue
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		env[k] = v
	}
	return env, bad
}
