package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kamld/kamld/sidecar/internal/compute"
)

// follow starts the goroutine that drives a run to its end. Only one driver per run exists across every
// process sharing the root: it holds the run's monitor.lock; others wait for the lock, so a run whose
// driver died (its sidecar was killed) is taken over.
func (b *Backend) follow(id compute.RunID) {
	b.mu.Lock()
	if _, ok := b.wake[id]; ok {
		b.mu.Unlock()
		return
	}
	wake := make(chan struct{}, 1)
	b.wake[id] = wake
	b.mu.Unlock()
	b.wg.Go(func() {
		defer func() {
			b.mu.Lock()
			delete(b.wake, id)
			b.mu.Unlock()
		}()
		m := &monitor{b: b, id: id, d: b.dir(id), wake: wake}
		if err := m.lockAndDrive(); err != nil && b.ctx.Err() == nil {
			b.log.Error("local run monitor failed", "run", id.String(), "error", err)
		}
	})
}

type monitor struct {
	b    *Backend
	id   compute.RunID
	d    runDir
	wake chan struct{}
	spec compute.Spec
}

func (m *monitor) lockAndDrive() error {
	f, err := os.OpenFile(m.d.path(lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return err
		}
		if !m.sleep() {
			return nil
		}
		if st, err := m.d.state(); err == nil && st.Phase.Final() {
			return nil // another driver finished it
		}
	}
	if m.spec, err = m.d.spec(); err != nil {
		return err
	}
	return m.drive()
}

// sleep waits one poll interval or a nudge; false when the backend is closing.
func (m *monitor) sleep() bool {
	t := time.NewTimer(m.b.poll)
	defer t.Stop()
	select {
	case <-m.b.ctx.Done():
		return false
	case <-m.wake:
	case <-t.C:
	}
	return true
}

func (m *monitor) set(phase compute.Phase, reason, msg string, mod func(*stateRecord)) error {
	st, err := m.d.state()
	if err != nil {
		return err
	}
	st.Phase, st.Reason, st.Message = phase, reason, msg
	if mod != nil {
		mod(&st)
	}
	if phase.Final() && st.EndTime.IsZero() {
		st.EndTime = time.Now().UTC()
	}
	return m.d.setState(st)
}

func (m *monitor) cancelled() error {
	return m.set(compute.PhaseCancelled, compute.ReasonCancelledByUser, "cancelled", nil)
}

// drive takes the run from wherever it is (fresh, or left by a previous driver) to a final phase.
func (m *monitor) drive() error {
	st, err := m.d.state()
	if err != nil || st.Phase.Final() {
		return err
	}
	var sup supervisorRecord
	if readJSON(m.d.path(supervisorFile), &sup) == nil {
		// Started before; its supervisor may still be running, or may have ended while no one watched.
		m.b.sched.force(m.spec.Resources)
		defer m.b.sched.release(m.spec.Resources)
		return m.await(sup, nil)
	}
	if m.d.cancelled() {
		return m.cancelled()
	}
	if why := m.b.sched.unschedulable(m.spec.Resources); why != "" {
		if err := m.set(compute.PhasePending, compute.ReasonUnschedulable, why, nil); err != nil {
			return err
		}
		return m.untilCancelled()
	}
	if err := m.admit(); err != nil || m.d.cancelled() {
		if err == nil {
			err = m.cancelled()
		}
		return err
	}
	defer m.b.sched.release(m.spec.Resources)
	return m.launch()
}

// untilCancelled parks an unschedulable run: it cannot start by itself, but a cancel must still end it.
func (m *monitor) untilCancelled() error {
	for !m.d.cancelled() {
		if !m.sleep() {
			return nil
		}
	}
	return m.cancelled()
}

// admit waits for capacity (Pending/WaitingForResources), giving up if the run is cancelled meanwhile.
func (m *monitor) admit() error {
	if m.b.sched.tryReserve(m.spec.Resources) {
		return nil
	}
	if err := m.set(compute.PhasePending, compute.ReasonWaitingForResources, "waiting for CPU or memory of earlier runs to free up", nil); err != nil {
		return err
	}
	for !m.b.sched.tryReserve(m.spec.Resources) {
		if m.d.cancelled() {
			return nil
		}
		if !m.sleep() {
			return context.Canceled
		}
	}
	return nil
}

func (m *monitor) launch() error {
	if err := m.set(compute.PhasePending, compute.ReasonMaterializingInputs, "", nil); err != nil {
		return err
	}
	if err := m.materialize(); err != nil {
		if m.b.ctx.Err() != nil {
			return err // closing: the next driver starts over
		}
		return m.set(compute.PhaseFailed, compute.ReasonInputsFailed, err.Error(), nil)
	}
	if m.d.cancelled() {
		return m.cancelled()
	}
	cmd := exec.Command(m.b.exe)
	cmd.Env = append(os.Environ(), SupervisorEnv+"="+string(m.d))
	if m.b.runAs != nil {
		cmd.Env = append(cmd.Env, runAsEnv+"="+m.b.runAs.String())
	}
	cmd.Stdout, cmd.Stderr = nil, nil
	// A session of its own: signals to the sidecar's group (Ctrl-C, a process manager) do not reach runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return m.set(compute.PhaseFailed, compute.ReasonError, "cannot start the supervisor: "+err.Error(), nil)
	}
	sup := supervisorRecord{PID: cmd.Process.Pid, StartTick: procStartTick(cmd.Process.Pid)}
	if err := writeJSON(m.d.path(supervisorFile), sup); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return err
	}
	now := time.Now().UTC()
	if err := m.set(compute.PhaseRunning, compute.ReasonStarted, "", func(s *stateRecord) { s.StartTime = now }); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	return m.await(sup, exited)
}

// materialize writes the spec's files, fetches its inputs and creates its output folders.
func (m *monitor) materialize() error {
	work := m.d.work()
	if m.b.workRoot != "" {
		if err := linkWork(m.b.workRoot, m.d); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	for _, f := range m.spec.Files {
		mode := os.FileMode(0o644)
		if f.Executable {
			mode = 0o755
		}
		if err := writeInto(work, f.Path, f.Content, mode); err != nil {
			return err
		}
	}
	for _, in := range m.spec.Inputs {
		if err := m.b.data.Fetch(m.b.ctx, in, filepath.Join(work, filepath.FromSlash(in.Path))); err != nil {
			return fmt.Errorf("input %s@%s: %w", in.Dataset, in.Snapshot, err)
		}
	}
	for _, out := range m.spec.Outputs {
		if err := os.MkdirAll(filepath.Join(work, filepath.FromSlash(out.Path)), 0o755); err != nil {
			return err
		}
	}
	return nil
}

func writeInto(root, rel string, content []byte, mode os.FileMode) error {
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return fmt.Errorf("file %q is outside the work directory", rel)
	}
	return compute.WriteFileAtomic(filepath.Join(root, filepath.FromSlash(rel)), bytesReader(content), mode)
}

// await waits for the supervisor to end (through exited when this process started it, else by polling its
// pid), then records the result.
func (m *monitor) await(sup supervisorRecord, exited <-chan struct{}) error {
	termSent := false
	for {
		if exited != nil {
			select {
			case <-exited:
				return m.finish()
			default:
			}
		} else if !sup.alive() {
			return m.finish()
		}
		if !termSent && m.d.cancelled() {
			_ = signalTerm(sup.PID) // a cancel that raced with the start
			termSent = true
		}
		if exited != nil {
			select {
			case <-exited:
				return m.finish()
			case <-m.b.ctx.Done():
				return nil
			case <-m.wake:
			case <-time.After(m.b.poll):
			}
		} else if !m.sleep() {
			return nil
		}
	}
}

// finish turns the supervisor's exit record into the final status, storing outputs on success.
func (m *monitor) finish() error {
	var ex exitRecord
	err := readJSON(m.d.path(exitFile), &ex)
	switch {
	case errors.Is(err, fs.ErrNotExist) && m.d.cancelled():
		return m.cancelled() // killed by the cancel before it could record anything
	case errors.Is(err, fs.ErrNotExist):
		return m.set(compute.PhaseFailed, compute.ReasonLost, "the run's supervisor process ended without recording a result (killed?)", nil)
	case err != nil:
		return err
	}
	result := func(s *stateRecord) { s.ExitCode, s.StartTime, s.EndTime = ex.ExitCode, ex.Start, ex.End }
	switch {
	case ex.Reason == compute.ReasonCancelledByUser || (ex.Reason != compute.ReasonDeadlineExceeded && m.d.cancelled()):
		return m.set(compute.PhaseCancelled, compute.ReasonCancelledByUser, "cancelled", result)
	case ex.Reason != compute.ReasonCompleted:
		return m.set(compute.PhaseFailed, ex.Reason, ex.Message, result)
	}
	if err := m.set(compute.PhaseRunning, compute.ReasonStoringOutputs, "", nil); err != nil {
		return err
	}
	m.keep()
	for _, out := range m.spec.Outputs {
		if err := m.b.data.Store(m.b.ctx, out, filepath.Join(m.d.work(), filepath.FromSlash(out.Path))); err != nil {
			if m.b.ctx.Err() != nil {
				return err // closing: the next driver stores them again
			}
			return m.set(compute.PhaseFailed, compute.ReasonOutputsFailed, fmt.Sprintf("output %s → %s: %v", out.Path, out.Dataset, err), result)
		}
	}
	return m.set(compute.PhaseSucceeded, compute.ReasonCompleted, "", result)
}

// keep copies the files the spec names to keep/, best effort (a missing one is simply not kept).
func (m *monitor) keep() {
	for _, p := range m.spec.Keep {
		b, err := os.ReadFile(filepath.Join(m.d.work(), filepath.FromSlash(p)))
		if err == nil {
			_ = writeInto(m.d.path(keepDir), p, b, 0o644)
		}
	}
}

func signalTerm(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }
