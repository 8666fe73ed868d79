// Package computetest is the one conformance suite of compute.Backend: compute/local runs it with real
// processes, compute/kubernetes against a real kube-apiserver. Tests are grouped by capability. A backend
// whose runs are carried out by machinery the test does not have (no kubelet next to a test API server)
// passes a Driver that plays that machinery's part through the platform's own API; the suite then checks
// everything the backend itself decides and skips, by name, what only a real executor can show (the bytes
// of inputs, outputs and logs).
package computetest

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
)

// Harness builds the backend under test.
type Harness struct {
	// New returns a backend over fresh state, with data as its Data, and a reopen function that builds a
	// second backend over the same state, as a restarted sidecar would (the first is abandoned, not closed,
	// as after SIGKILL). The test's cleanup releases both.
	New func(t *testing.T, data compute.Data) (b compute.Backend, reopen func() compute.Backend)
	// Data gives the suite a compute.Data and a way to seed inputs and read outputs; nil uses an in-memory
	// implementation (see MemData).
	Data *MemData
	// Driver, when not nil, makes runs progress for backends without a real executor in the test.
	Driver Driver
	// Image is the image runs use; "host" when empty.
	Image string
	// Timeout bounds each wait for a phase; 30 s when zero.
	Timeout time.Duration
}

// Driver plays the part of a platform's executor (kubelet, controllers) by writing the status that machinery
// would write. Each method acts on the run's platform objects and returns once they are written.
type Driver interface {
	// Schedule makes the run's command start.
	Schedule(t *testing.T, id compute.RunID)
	// Unschedulable marks the run as one that cannot be placed.
	Unschedulable(t *testing.T, id compute.RunID)
	// Exit ends the command with exitCode.
	Exit(t *testing.T, id compute.RunID, exitCode int)
}

// Run runs the whole suite.
func Run(t *testing.T, h Harness) {
	if h.Image == "" {
		h.Image = "host"
	}
	if h.Timeout == 0 {
		h.Timeout = 30 * time.Second
	}
	s := &suite{h: h}
	t.Run("Offers", s.testOffers)
	t.Run("UnknownRun", s.testUnknownRun)
	t.Run("StartIsIdempotent", s.testStartIdempotent)
	t.Run("Succeeds", s.testSucceeds)
	t.Run("FailsWithExitCode", s.testFails)
	t.Run("CancelPending", s.testCancelPending)
	t.Run("CancelRunning", s.testCancelRunning)
	t.Run("CancelFinalIsNoop", s.testCancelFinal)
	t.Run("Timeout", s.testTimeout)
	t.Run("LogsLiveAndAfter", s.testLogs)
	t.Run("SurvivesRestart", s.testRestart)
	t.Run("Forget", s.testForget)
}

type suite struct {
	h Harness
}

// fixture is one test's backend and data.
type fixture struct {
	t      *testing.T
	s      *suite
	b      compute.Backend
	reopen func() compute.Backend
	data   *MemData
}

func (s *suite) fixture(t *testing.T) *fixture {
	data := s.h.Data
	if data == nil {
		data = NewMemData()
	}
	b, reopen := s.h.New(t, data)
	return &fixture{t: t, s: s, b: b, reopen: reopen, data: data}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func (f *fixture) spec(job string, command ...string) compute.Spec {
	return compute.Spec{
		Run: compute.RunID{Job: job, Attempt: 1}, Image: f.s.h.Image, Command: command,
		Resources: compute.Resources{MilliCPU: 100, MemoryBytes: 256 << 20},
		Labels:    map[string]string{"suite": "computetest"},
	}
}

func (f *fixture) start(spec compute.Spec) {
	f.t.Helper()
	require.NoError(f.t, f.b.Start(ctx(f.t), spec))
}

// waitFor polls Status until cond holds, failing the test after the harness timeout.
func (f *fixture) waitFor(b compute.Backend, id compute.RunID, what string, cond func(compute.Status) bool) compute.Status {
	f.t.Helper()
	deadline := time.Now().Add(f.s.h.Timeout)
	var last compute.Status
	for time.Now().Before(deadline) {
		st, err := b.Status(ctx(f.t), id)
		require.NoError(f.t, err)
		if cond(st) {
			return st
		}
		last = st
		time.Sleep(20 * time.Millisecond)
	}
	f.t.Fatalf("run %s: waited for %s; last status %+v", id, what, last)
	return last
}

func (f *fixture) waitPhase(b compute.Backend, id compute.RunID, p compute.Phase) compute.Status {
	f.t.Helper()
	return f.waitFor(b, id, p.String(), func(st compute.Status) bool { return st.Phase == p })
}

// running brings a run to PhaseRunning, through the driver when there is one; a real command that is quick
// may already have ended.
func (f *fixture) running(id compute.RunID) compute.Status {
	f.t.Helper()
	if f.s.h.Driver != nil {
		f.s.h.Driver.Schedule(f.t, id)
		return f.waitPhase(f.b, id, compute.PhaseRunning)
	}
	return f.waitFor(f.b, id, "Running or later", func(st compute.Status) bool {
		return st.Phase == compute.PhaseRunning || st.Phase.Final()
	})
}

// exit ends a run through the driver, or lets a real command end by itself.
func (f *fixture) exit(b compute.Backend, id compute.RunID, code int) {
	if f.s.h.Driver != nil {
		f.s.h.Driver.Exit(f.t, id, code)
	}
}

func (s *suite) testOffers(t *testing.T) {
	f := s.fixture(t)
	offers, err := f.b.Offers(ctx(t))
	require.NoError(t, err)
	require.NotEmpty(t, offers, "a backend offers at least one kind of machine")
	for _, o := range offers {
		assert.NotEmpty(t, o.Arch)
		assert.Positive(t, o.MemoryBytes)
		assert.Positive(t, o.MilliCPU)
		assert.True(t, o.Containers || len(o.Environments) > 0, "an offer runs containers or names its environments")
	}
	assert.NotEmpty(t, f.b.Instance())
	require.NoError(t, f.b.Health(ctx(t)))
}

func (s *suite) testUnknownRun(t *testing.T) {
	f := s.fixture(t)
	id := compute.RunID{Job: "nobody", Attempt: 1}
	_, err := f.b.Status(ctx(t), id)
	assert.ErrorIs(t, err, apierr.ErrNotFound)
	assert.ErrorIs(t, f.b.Cancel(ctx(t), id), apierr.ErrNotFound)
	_, err = f.b.Logs(ctx(t), id, 0, false)
	assert.ErrorIs(t, err, apierr.ErrNotFound)
	assert.NoError(t, f.b.Forget(ctx(t), id), "forgetting an unknown run is not an error")
}

func (s *suite) testStartIdempotent(t *testing.T) {
	f := s.fixture(t)
	spec := f.spec("idem", "sleep", "30")
	f.start(spec)
	// A retry after a lost answer, even with another command, must not start a second run.
	spec2 := f.spec("idem", "true")
	f.start(spec2)
	runs, err := f.b.Runs(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, []compute.RunID{spec.Run}, runs)
	f.running(spec.Run)
	require.NoError(t, f.b.Cancel(ctx(t), spec.Run))
	f.waitPhase(f.b, spec.Run, compute.PhaseCancelled)
	// Starting a finished run again does not revive it.
	f.start(spec)
	st, err := f.b.Status(ctx(t), spec.Run)
	require.NoError(t, err)
	assert.Equal(t, compute.PhaseCancelled, st.Phase)
}

func (s *suite) testSucceeds(t *testing.T) {
	f := s.fixture(t)
	snap := f.data.Seed("iris", map[string]string{"a.txt": "alpha\n", "sub/b.txt": "beta\n"})
	spec := f.spec("ok", "sh", "-c", "cat data/a.txt data/sub/b.txt > out/ab.txt && cp cfg.txt out/ && echo done")
	spec.Files = []compute.File{{Path: "cfg.txt", Content: []byte("lr=0.1\n")}}
	spec.Inputs = []compute.Input{{Dataset: "iris", Snapshot: snap, Path: "data"}}
	spec.Outputs = []compute.Output{{Path: "out", Dataset: "model"}}
	f.start(spec)
	f.running(spec.Run)
	f.exit(f.b, spec.Run, 0)
	st := f.waitPhase(f.b, spec.Run, compute.PhaseSucceeded)
	assert.Equal(t, compute.ReasonCompleted, st.Reason)
	assert.Equal(t, 0, st.ExitCode)
	assert.False(t, st.StartTime.IsZero())
	assert.False(t, st.EndTime.Before(st.StartTime))
	if s.h.Driver != nil {
		t.Log("skipped data checks: no real executor")
		return
	}
	assert.Equal(t, map[string]string{"ab.txt": "alpha\nbeta\n", "cfg.txt": "lr=0.1\n"}, f.data.Draft("model"))
	assert.Equal(t, "done\n", f.logs(f.b, spec.Run, 0, false))
}

func (s *suite) testFails(t *testing.T) {
	f := s.fixture(t)
	spec := f.spec("fails", "sh", "-c", "echo oops >&2; exit 3")
	spec.Outputs = []compute.Output{{Path: "out", Dataset: "never"}}
	f.start(spec)
	f.running(spec.Run)
	f.exit(f.b, spec.Run, 3)
	st := f.waitPhase(f.b, spec.Run, compute.PhaseFailed)
	assert.Equal(t, compute.ReasonError, st.Reason)
	assert.Equal(t, 3, st.ExitCode)
	assert.Nil(t, f.data.Draft("never"), "a failed run stores no outputs")
	if s.h.Driver == nil {
		assert.Equal(t, "oops\n", f.logs(f.b, spec.Run, 0, false))
	}
}

func (s *suite) testCancelPending(t *testing.T) {
	f := s.fixture(t)
	spec := f.spec("stuck", "sleep", "30")
	spec.Resources.GPUs = 1 << 20 // no machine anywhere has this
	f.start(spec)
	if s.h.Driver != nil {
		s.h.Driver.Unschedulable(t, spec.Run)
	}
	st := f.waitFor(f.b, spec.Run, "Pending/Unschedulable", func(st compute.Status) bool {
		return st.Phase == compute.PhasePending && st.Reason == compute.ReasonUnschedulable
	})
	assert.NotEmpty(t, st.Message, "unschedulable says why")
	require.NoError(t, f.b.Cancel(ctx(t), spec.Run))
	st = f.waitPhase(f.b, spec.Run, compute.PhaseCancelled)
	assert.Equal(t, compute.ReasonCancelledByUser, st.Reason)
	assert.True(t, st.StartTime.IsZero(), "a cancelled pending run never started")
}

func (s *suite) testCancelRunning(t *testing.T) {
	f := s.fixture(t)
	spec := f.spec("long", "sleep", "300")
	spec.Outputs = []compute.Output{{Path: "out", Dataset: "never"}}
	f.start(spec)
	f.running(spec.Run)
	require.NoError(t, f.b.Cancel(ctx(t), spec.Run))
	require.NoError(t, f.b.Cancel(ctx(t), spec.Run), "cancel is idempotent")
	st := f.waitPhase(f.b, spec.Run, compute.PhaseCancelled)
	assert.Equal(t, compute.ReasonCancelledByUser, st.Reason)
	assert.Nil(t, f.data.Draft("never"))
}

func (s *suite) testCancelFinal(t *testing.T) {
	f := s.fixture(t)
	spec := f.spec("quick", "true")
	f.start(spec)
	f.running(spec.Run)
	f.exit(f.b, spec.Run, 0)
	f.waitPhase(f.b, spec.Run, compute.PhaseSucceeded)
	require.NoError(t, f.b.Cancel(ctx(t), spec.Run))
	st, err := f.b.Status(ctx(t), spec.Run)
	require.NoError(t, err)
	assert.Equal(t, compute.PhaseSucceeded, st.Phase, "cancelling a finished run changes nothing")
}

func (s *suite) testTimeout(t *testing.T) {
	if s.h.Driver != nil {
		t.Skip("deadlines are enforced by the platform (activeDeadlineSeconds); the backend's part is checked in its own tests")
	}
	f := s.fixture(t)
	spec := f.spec("slow", "sleep", "300")
	spec.Timeout = 500 * time.Millisecond
	f.start(spec)
	st := f.waitPhase(f.b, spec.Run, compute.PhaseFailed)
	assert.Equal(t, compute.ReasonDeadlineExceeded, st.Reason)
}

func (s *suite) testLogs(t *testing.T) {
	if s.h.Driver != nil {
		t.Skip("no executor writes logs without a kubelet")
	}
	f := s.fixture(t)
	spec := f.spec("chatty", "sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done")
	f.start(spec)
	rc, err := f.b.Logs(ctx(t), spec.Run, 0, true)
	require.NoError(t, err)
	live, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, "line1\nline2\nline3\n", string(live), "follow streams until the run ends")
	st := f.waitPhase(f.b, spec.Run, compute.PhaseSucceeded)
	assert.Equal(t, 0, st.ExitCode)
	assert.Equal(t, "line2\nline3\n", f.logs(f.b, spec.Run, 6, false), "offsets resume a broken stream")
	assert.Empty(t, f.logs(f.b, spec.Run, 1000, false))
}

func (s *suite) testRestart(t *testing.T) {
	f := s.fixture(t)
	snap := f.data.Seed("in", map[string]string{"x.txt": "x\n"})
	spec := f.spec("survivor", "sh", "-c", "sleep 1; cp data/x.txt out/y.txt; echo finished")
	spec.Inputs = []compute.Input{{Dataset: "in", Snapshot: snap, Path: "data"}}
	spec.Outputs = []compute.Output{{Path: "out", Dataset: "result"}}
	f.start(spec)
	f.running(spec.Run)
	b2 := f.reopen()
	runs, err := b2.Runs(ctx(t))
	require.NoError(t, err)
	assert.Contains(t, runs, spec.Run)
	st, err := b2.Status(ctx(t), spec.Run)
	require.NoError(t, err)
	assert.Contains(t, []compute.Phase{compute.PhaseRunning, compute.PhaseSucceeded}, st.Phase)
	f.exit(b2, spec.Run, 0)
	f.waitPhase(b2, spec.Run, compute.PhaseSucceeded)
	if s.h.Driver == nil {
		assert.Equal(t, map[string]string{"y.txt": "x\n"}, f.data.Draft("result"))
		assert.Equal(t, "finished\n", f.logs(b2, spec.Run, 0, false))
	}
}

func (s *suite) testForget(t *testing.T) {
	f := s.fixture(t)
	spec := f.spec("gone", "sleep", "30")
	f.start(spec)
	f.running(spec.Run)
	assert.ErrorIs(t, f.b.Forget(ctx(t), spec.Run), apierr.ErrFailedPrecondition, "a live run cannot be forgotten")
	require.NoError(t, f.b.Cancel(ctx(t), spec.Run))
	f.waitPhase(f.b, spec.Run, compute.PhaseCancelled)
	require.NoError(t, f.b.Forget(ctx(t), spec.Run))
	_, err := f.b.Status(ctx(t), spec.Run)
	assert.ErrorIs(t, err, apierr.ErrNotFound)
	runs, err := f.b.Runs(ctx(t))
	require.NoError(t, err)
	assert.NotContains(t, runs, spec.Run)
}

// logs reads a run's log without follow.
func (f *fixture) logs(b compute.Backend, id compute.RunID, offset int64, follow bool) string {
	f.t.Helper()
	rc, err := b.Logs(ctx(f.t), id, offset, follow)
	require.NoError(f.t, err)
	defer rc.Close()
	var sb strings.Builder
	_, err = io.Copy(&sb, rc)
	if !errors.Is(err, io.EOF) {
		require.NoError(f.t, err)
	}
	return sb.String()
}
