package job_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/local"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/job"
)

func TestMain(m *testing.M) {
	local.MaybeSupervise()
	os.Exit(m.Run())
}

// env is a store, a dataset engine with an "iris" snapshot, and a run directory.
type env struct {
	t      testing.TB
	store  blob.Store
	engine *dataset.Engine
	runs   string
	iris   string // snapshot id of iris@v1
}

func newEnv(t testing.TB) *env {
	store, err := fs.New(t.TempDir())
	require.NoError(t, err)
	engine := dataset.New(store)
	ctx := t.Context()
	_, err = engine.CreateDataset(ctx, "iris", dataset.Metadata{})
	require.NoError(t, err)
	_, err = engine.WriteFile(ctx, "iris", "iris.csv", strings.NewReader("a,b\n1,2\n"), dataset.WriteOptions{})
	require.NoError(t, err)
	snap, err := engine.CreateSnapshot(ctx, "iris", dataset.SnapshotOptions{Message: "v1"})
	require.NoError(t, err)
	return &env{t: t, store: store, engine: engine, runs: t.TempDir(), iris: snap.ID}
}

// manager builds a backend and manager on the env's state, as a (re)started sidecar would.
func (e *env) manager(opts ...job.Option) *job.Manager {
	b, err := local.New(e.runs, compute.NewDatasetData(e.engine), local.WithCapacity(2000, 4<<30))
	require.NoError(e.t, err)
	opts = append([]job.Option{job.WithRetryDelay(10 * time.Millisecond), job.WithPollInterval(20 * time.Millisecond)}, opts...)
	m := job.New(e.store, e.engine, b, opts...)
	require.NoError(e.t, m.Start(e.t.Context()))
	e.t.Cleanup(func() { m.Close(); _ = b.Close() })
	return m
}

func script(code string) *kamldv1.Job {
	return &kamldv1.Job{Flavor: "cpu", Command: []string{"python3", "train.py"},
		WorkingFiles: []*kamldv1.WorkFile{{Path: "train.py", Content: []byte(code)}},
		Resources:    &kamldv1.Resources{Cpu: "100m", Memory: "256Mi"}}
}

func wait(t *testing.T, m *job.Manager, id string, states ...kamldv1.JobState) *kamldv1.Job {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var j *kamldv1.Job
	for time.Now().Before(deadline) {
		var err error
		j, err = m.Get(t.Context(), id)
		require.NoError(t, err)
		for _, s := range states {
			if j.State == s {
				return j
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s: waited for %v; it is %v with events %v", id, states, j.State, j.Events)
	return nil
}

func id(j *kamldv1.Job) string { return strings.TrimPrefix(j.Name, "jobs/") }

func reasons(j *kamldv1.Job) []string {
	var out []string
	for _, e := range j.Events {
		out = append(out, e.State.String()[len("JOB_STATE_"):]+"/"+e.Reason)
	}
	return out
}

func TestScriptJobCommitsOutputWithLineage(t *testing.T) {
	e := newEnv(t)
	m := e.manager()
	spec := script(`import os, shutil
print("training on", open("data/iris.csv").read().count("\n"), "lines", flush=True)
open("out/model.txt", "w").write("weights\n")
`)
	spec.Inputs = []*kamldv1.JobInput{{Ref: "iris@v1", Path: "data"}}
	spec.Outputs = []*kamldv1.JobOutput{{Path: "out", Dataset: "datasets/model"}}
	j, err := m.Submit(t.Context(), spec, "", "alice")
	require.NoError(t, err)
	assert.Equal(t, kamldv1.JobState_JOB_STATE_QUEUED, j.State)
	assert.Equal(t, "host", j.Image)
	assert.Equal(t, "datasets/iris/snapshots/"+e.iris, j.Inputs[0].Snapshot, "inputs are fixed at submit")
	assert.True(t, strings.HasPrefix(j.CodeDigest, "sha256:"))

	j = wait(t, m, id(j), kamldv1.JobState_JOB_STATE_SUCCEEDED, kamldv1.JobState_JOB_STATE_FAILED)
	require.Equal(t, kamldv1.JobState_JOB_STATE_SUCCEEDED, j.State, reasons(j))
	assert.Equal(t, []string{"QUEUED/Submitted", "QUEUED/Starting", "RUNNING/Started", "SUCCEEDED/Completed"}, withoutPending(reasons(j)))
	assert.Equal(t, kamldv1.JobState_JOB_STATE_PENDING, j.Events[2].State, "handed to the backend before it ran")
	require.Len(t, j.OutputSnapshots, 1)
	snaps, _, err := e.engine.ListSnapshots(t.Context(), "model", dataset.Page{})
	require.NoError(t, err)
	require.Len(t, snaps, 1)
	assert.Equal(t, &dataset.Lineage{Job: j.Name, Inputs: []string{"datasets/iris/snapshots/" + e.iris}, Image: "host", CodeDigest: j.CodeDigest}, snaps[0].Lineage)
	assert.Equal(t, "output of "+j.Name, snaps[0].Message)
	assert.Equal(t, "alice", snaps[0].Author)
	assert.Equal(t, "training on 2 lines\n", logs(t, m, id(j), false))
}

// withoutPending drops the PENDING steps, which a fast run may pass through between two observations.
func withoutPending(rs []string) []string {
	var out []string
	for _, r := range rs {
		if strings.HasPrefix(r, "PENDING/") {
			continue
		}
		out = append(out, r)
	}
	return out
}

func logs(t *testing.T, m *job.Manager, id string, follow bool) string {
	var sb strings.Builder
	require.NoError(t, m.Logs(t.Context(), id, 0, 0, follow, func(c job.Chunk) error {
		assert.Equal(t, int64(sb.Len()), c.Offset)
		sb.WriteString(c.Text)
		return nil
	}))
	return sb.String()
}

func TestSubmitIsIdempotentByJobID(t *testing.T) {
	e := newEnv(t)
	m := e.manager()
	spec := script("print('hi')")
	a, err := m.Submit(t.Context(), spec, "my-run", "alice")
	require.NoError(t, err)
	b, err := m.Submit(t.Context(), script("print('hi')"), "my-run", "alice")
	require.NoError(t, err)
	assert.Equal(t, a.Name, b.Name)
	_, err = m.Submit(t.Context(), script("print('other')"), "my-run", "alice")
	assert.Equal(t, codes.AlreadyExists, apierr.Code(err))
	wait(t, m, "my-run", kamldv1.JobState_JOB_STATE_SUCCEEDED)
	list, _, err := m.List(t.Context(), job.ListOptions{})
	require.NoError(t, err)
	assert.Len(t, list, 1)
}

func TestCancelPendingUnschedulable(t *testing.T) {
	e := newEnv(t)
	m := e.manager()
	spec := script("print('never')")
	spec.Resources.Gpu = 2
	j, err := m.Submit(t.Context(), spec, "", "alice")
	require.NoError(t, err)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		j, _ = m.Get(t.Context(), id(j))
		if ev := j.Events[len(j.Events)-1]; ev.Reason == compute.ReasonUnschedulable {
			assert.Equal(t, kamldv1.JobState_JOB_STATE_PENDING, ev.State)
			assert.Contains(t, ev.Message, "GPUs")
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err = m.Cancel(t.Context(), id(j), "wrong machine")
	require.NoError(t, err)
	j = wait(t, m, id(j), kamldv1.JobState_JOB_STATE_CANCELLED)
	last := j.Events[len(j.Events)-1]
	assert.Equal(t, compute.ReasonCancelledByUser, last.Reason)
	assert.Contains(t, last.Message, "wrong machine")
	assert.Nil(t, j.StartTime, "it never ran")
}

func TestCancelRunning(t *testing.T) {
	e := newEnv(t)
	m := e.manager()
	spec := script("import time\nprint('started', flush=True)\ntime.sleep(300)")
	spec.Outputs = []*kamldv1.JobOutput{{Path: "out", Dataset: "datasets/never"}}
	j, err := m.Submit(t.Context(), spec, "", "alice")
	require.NoError(t, err)
	wait(t, m, id(j), kamldv1.JobState_JOB_STATE_RUNNING)
	_, err = m.Cancel(t.Context(), id(j), "")
	require.NoError(t, err)
	j = wait(t, m, id(j), kamldv1.JobState_JOB_STATE_CANCELLED)
	assert.Empty(t, j.OutputSnapshots)
	snaps, _, err := e.engine.ListSnapshots(t.Context(), "never", dataset.Page{})
	require.NoError(t, err)
	assert.Empty(t, snaps, "a cancelled job commits nothing")
	again, err := m.Cancel(t.Context(), id(j), "")
	require.NoError(t, err)
	assert.Equal(t, len(j.Events), len(again.Events), "cancelling a final job changes nothing")
}

func TestCancelQueuedNeverStarts(t *testing.T) {
	e := newEnv(t)
	m := e.manager()
	// Fill the machine so the next job queues behind it.
	blocker := script("import time\ntime.sleep(300)")
	blocker.Resources.Cpu = "2"
	b, err := m.Submit(t.Context(), blocker, "", "alice")
	require.NoError(t, err)
	wait(t, m, id(b), kamldv1.JobState_JOB_STATE_RUNNING)
	j, err := m.Submit(t.Context(), script("print('x')"), "", "alice")
	require.NoError(t, err)
	wait(t, m, id(j), kamldv1.JobState_JOB_STATE_PENDING)
	_, err = m.Cancel(t.Context(), id(j), "")
	require.NoError(t, err)
	j = wait(t, m, id(j), kamldv1.JobState_JOB_STATE_CANCELLED)
	assert.Nil(t, j.StartTime)
	_, err = m.Cancel(t.Context(), id(b), "")
	require.NoError(t, err)
	wait(t, m, id(b), kamldv1.JobState_JOB_STATE_CANCELLED)
}

func TestRetriesThenSucceeds(t *testing.T) {
	e := newEnv(t)
	m := e.manager()
	spec := script("import os, sys\nprint('attempt', os.environ['KAMLD_ATTEMPT'])\nsys.exit(0 if os.environ['KAMLD_ATTEMPT'] == '2' else 7)")
	spec.MaxRetries = 2
	j, err := m.Submit(t.Context(), spec, "", "alice")
	require.NoError(t, err)
	j = wait(t, m, id(j), kamldv1.JobState_JOB_STATE_SUCCEEDED, kamldv1.JobState_JOB_STATE_FAILED)
	require.Equal(t, kamldv1.JobState_JOB_STATE_SUCCEEDED, j.State, reasons(j))
	assert.EqualValues(t, 2, j.Attempt)
	assert.Contains(t, reasons(j), "FAILED/Error")
	assert.Contains(t, reasons(j), "QUEUED/Retrying")
	var sb strings.Builder
	require.NoError(t, m.Logs(t.Context(), id(j), 1, 0, false, func(c job.Chunk) error { sb.WriteString(c.Text); return nil }))
	assert.Equal(t, "attempt 1\n", sb.String(), "each attempt's log is kept")
	assert.Equal(t, "attempt 2\n", logs(t, m, id(j), false))
}

func TestFailsAfterRetriesAndTimeout(t *testing.T) {
	e := newEnv(t)
	m := e.manager()
	j, err := m.Submit(t.Context(), script("raise SystemExit(3)"), "", "alice")
	require.NoError(t, err)
	j = wait(t, m, id(j), kamldv1.JobState_JOB_STATE_FAILED)
	assert.Contains(t, j.Events[len(j.Events)-1].Message, "3")

	slow := script("import time\ntime.sleep(300)")
	slow.Timeout = durationpb.New(500 * time.Millisecond)
	j, err = m.Submit(t.Context(), slow, "", "alice")
	require.NoError(t, err)
	j = wait(t, m, id(j), kamldv1.JobState_JOB_STATE_FAILED)
	assert.Equal(t, compute.ReasonDeadlineExceeded, j.Events[len(j.Events)-1].Reason)
}

func TestResumesAfterRestartAndCommitsOnce(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	b1, err := local.New(e.runs, compute.NewDatasetData(e.engine))
	require.NoError(t, err)
	m1 := job.New(e.store, e.engine, b1, job.WithPollInterval(20*time.Millisecond))
	spec := script("import time\ntime.sleep(1.5)\nopen('out/m.txt','w').write('m')\nprint('done')")
	spec.Outputs = []*kamldv1.JobOutput{{Path: "out", Dataset: "datasets/model"}}
	j, err := m1.Submit(ctx, spec, "", "alice")
	require.NoError(t, err)
	wait(t, m1, id(j), kamldv1.JobState_JOB_STATE_RUNNING)
	// The sidecar goes away (its drivers stop mid-run); a new one starts on the same store and runs.
	m1.Close()
	require.NoError(t, b1.Close())
	m2 := e.manager()
	j = wait(t, m2, id(j), kamldv1.JobState_JOB_STATE_SUCCEEDED, kamldv1.JobState_JOB_STATE_FAILED)
	require.Equal(t, kamldv1.JobState_JOB_STATE_SUCCEEDED, j.State, reasons(j))
	snaps, _, err := e.engine.ListSnapshots(ctx, "model", dataset.Page{})
	require.NoError(t, err)
	assert.Len(t, snaps, 1, "outputs committed exactly once")
	assert.Equal(t, "done\n", logs(t, m2, id(j), false))
}

func TestListPagesNewestFirstWithFilters(t *testing.T) {
	e := newEnv(t)
	m := e.manager()
	var names []string
	for i := range 5 {
		spec := script("print(1)")
		spec.Labels = map[string]string{"team": []string{"a", "b"}[i%2]}
		j, err := m.Submit(t.Context(), spec, "", "alice")
		require.NoError(t, err)
		names = append([]string{j.Name}, names...)
		time.Sleep(2 * time.Millisecond)
	}
	var got []string
	token := ""
	for {
		page, next, err := m.List(t.Context(), job.ListOptions{PageSize: 2, PageToken: token})
		require.NoError(t, err)
		assert.LessOrEqual(t, len(page), 2)
		for _, j := range page {
			got = append(got, j.Name)
		}
		if next == "" {
			break
		}
		token = next
	}
	assert.Equal(t, names, got)
	team, _, err := m.List(t.Context(), job.ListOptions{Labels: map[string]string{"team": "a"}})
	require.NoError(t, err)
	assert.Len(t, team, 3)
	_, _, err = m.List(t.Context(), job.ListOptions{PageToken: "garbage"})
	assert.Equal(t, codes.InvalidArgument, apierr.Code(err))
	// Let the runs finish: their supervisors write into the temp dirs, which the test's cleanup removes.
	for _, n := range names {
		wait(t, m, strings.TrimPrefix(n, "jobs/"), kamldv1.JobState_JOB_STATE_SUCCEEDED, kamldv1.JobState_JOB_STATE_FAILED)
	}
}

func TestBadSpecs(t *testing.T) {
	e := newEnv(t)
	m := e.manager()
	for _, c := range []struct {
		name  string
		edit  func(*kamldv1.Job)
		field string
		code  codes.Code
	}{
		{"unknown flavor", func(j *kamldv1.Job) { j.Flavor = "gpu-xl" }, "job.flavor", codes.InvalidArgument},
		{"no command", func(j *kamldv1.Job) { j.Command = nil }, "job.command", codes.InvalidArgument},
		{"shell injection in an argument", func(j *kamldv1.Job) { j.Command = []string{"python3", "train.py; rm -rf ~"} }, "job.command[1]", codes.InvalidArgument},
		{"shell in the program", func(j *kamldv1.Job) { j.Command = []string{"python3 train.py && curl x"} }, "job.command[0]", codes.InvalidArgument},
		{"substitution", func(j *kamldv1.Job) { j.Command = []string{"echo", "$(id)"} }, "job.command[1]", codes.InvalidArgument},
		{"-c of a non-Python program", func(j *kamldv1.Job) { j.Command = []string{"bash", "-c", "id; curl x"} }, "job.command[2]", codes.InvalidArgument},
		{"a variable in a shell's script", func(j *kamldv1.Job) { j.Command = []string{"bash", "-c", "echo $HOME"} }, "job.command[2]", codes.InvalidArgument},
		{"a variable in an argument", func(j *kamldv1.Job) { j.Command = []string{"python3", "train.py", "--out", "$OUT"} }, "job.command[3]", codes.InvalidArgument},
		{"a positional parameter", func(j *kamldv1.Job) { j.Command = []string{"sh", "-c", "echo", "$1"} }, "job.command[3]", codes.InvalidArgument},
		{"-e of a shell is no inline code", func(j *kamldv1.Job) { j.Command = []string{"bash", "-e", "x; y"} }, "job.command[2]", codes.InvalidArgument},
		{"bad ref", func(j *kamldv1.Job) { j.Inputs = []*kamldv1.JobInput{{Ref: "Iris@@v1", Path: "data"}} }, "job.inputs[0].ref", codes.InvalidArgument},
		{"draft input", func(j *kamldv1.Job) { j.Inputs = []*kamldv1.JobInput{{Ref: "iris@draft", Path: "data"}} }, "job.inputs[0].ref", codes.InvalidArgument},
		{"input escapes", func(j *kamldv1.Job) { j.Inputs = []*kamldv1.JobInput{{Ref: "iris@v1", Path: "../etc"}} }, "job.inputs[0].path", codes.InvalidArgument},
		{"absolute output", func(j *kamldv1.Job) {
			j.Outputs = []*kamldv1.JobOutput{{Path: "/tmp/out", Dataset: "datasets/m"}}
		}, "job.outputs[0].path", codes.InvalidArgument},
		{"overlapping", func(j *kamldv1.Job) {
			j.Inputs = []*kamldv1.JobInput{{Ref: "iris", Path: "data"}}
			j.Outputs = []*kamldv1.JobOutput{{Path: "data/out", Dataset: "datasets/m"}}
		}, "job.outputs[0].path", codes.InvalidArgument},
		{"working file escapes", func(j *kamldv1.Job) { j.WorkingFiles[0].Path = "../../.bashrc" }, "job.working_files[0].path", codes.InvalidArgument},
		{"absurd cpu", func(j *kamldv1.Job) { j.Resources.Cpu = "100000" }, "job.resources.cpu", codes.InvalidArgument},
		{"absurd memory", func(j *kamldv1.Job) { j.Resources.Memory = "9Pi" }, "job.resources.memory", codes.InvalidArgument},
		{"not a quantity", func(j *kamldv1.Job) { j.Resources.Memory = "lots" }, "job.resources.memory", codes.InvalidArgument},
		{"absurd gpus", func(j *kamldv1.Job) { j.Resources.Gpu = 1000 }, "job.resources.gpu", codes.InvalidArgument},
		{"reserved env", func(j *kamldv1.Job) { j.Env = map[string]string{"KAMLD_TOKEN": "x"} }, "job.env", codes.InvalidArgument},
		{"retries", func(j *kamldv1.Job) { j.MaxRetries = 99 }, "job.max_retries", codes.InvalidArgument},
		{"timeout", func(j *kamldv1.Job) { j.Timeout = durationpb.New(-time.Second) }, "job.timeout", codes.InvalidArgument},
		{"notebook and command", func(j *kamldv1.Job) { j.Notebook = "a.ipynb" }, "job.notebook", codes.InvalidArgument},
		{"unknown input dataset", func(j *kamldv1.Job) { j.Inputs = []*kamldv1.JobInput{{Ref: "nope@v1", Path: "d"}} }, "", codes.NotFound},
		{"unknown input version", func(j *kamldv1.Job) { j.Inputs = []*kamldv1.JobInput{{Ref: "iris@v9", Path: "d"}} }, "", codes.NotFound},
		{"source without workspace", func(j *kamldv1.Job) { j.WorkingFiles = []*kamldv1.WorkFile{{Source: "train.py"}} }, "", codes.FailedPrecondition},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := script("print(1)")
			c.edit(spec)
			_, err := m.Submit(t.Context(), spec, "", "alice")
			require.Error(t, err)
			st := apierr.Status(err)
			assert.Equal(t, c.code, st.Code(), st.Message())
			if c.field != "" {
				assert.Contains(t, fields(st.Details()), c.field, st.Message())
			}
		})
	}
	_, err := m.Submit(t.Context(), script("print(1)"), "Bad_ID", "alice")
	assert.Equal(t, codes.InvalidArgument, apierr.Code(err))
	list, _, err := m.List(t.Context(), job.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, list, "no bad spec was recorded")
}

func fields(details []any) []string {
	var out []string
	for _, d := range details {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.FieldViolations {
				out = append(out, v.Field)
			}
		}
	}
	return out
}

func TestWorkspaceFilesAreConfined(t *testing.T) {
	e := newEnv(t)
	ws := t.TempDir()
	require.NoError(t, os.WriteFile(ws+"/train.py", []byte("print('from the workspace')"), 0o644))
	require.NoError(t, os.Symlink("/etc/passwd", ws+"/evil.py"))
	m := e.manager(job.WithWorkspace(ws))
	spec := script("")
	spec.WorkingFiles = []*kamldv1.WorkFile{{Source: "train.py"}}
	j, err := m.Submit(t.Context(), spec, "", "alice")
	require.NoError(t, err)
	wait(t, m, id(j), kamldv1.JobState_JOB_STATE_SUCCEEDED)
	assert.Equal(t, "from the workspace\n", logs(t, m, id(j), false))
	spec.WorkingFiles = []*kamldv1.WorkFile{{Source: "evil.py", Path: "train.py"}}
	_, err = m.Submit(t.Context(), spec, "", "alice")
	assert.Equal(t, codes.InvalidArgument, apierr.Code(err), "a symlink out of the workspace is refused")
}

func TestPythonCodeMayHaveSemicolons(t *testing.T) {
	e := newEnv(t)
	m := e.manager()
	j, err := m.Submit(t.Context(), &kamldv1.Job{Flavor: "cpu", Command: []string{"python3", "-c", "import sys; print(len(sys.argv))\nprint('ok')"},
		Resources: &kamldv1.Resources{Cpu: "100m", Memory: "256Mi"}}, "", "alice")
	require.NoError(t, err)
	wait(t, m, id(j), kamldv1.JobState_JOB_STATE_SUCCEEDED)
	assert.Equal(t, "1\nok\n", logs(t, m, id(j), false))
}

func TestWatchStreamsUntilFinal(t *testing.T) {
	e := newEnv(t)
	m := e.manager()
	j, err := m.Submit(t.Context(), script("import time\ntime.sleep(0.3)\nprint('ok')"), "", "alice")
	require.NoError(t, err)
	var states []kamldv1.JobState
	require.NoError(t, m.Watch(t.Context(), id(j), func(ev *kamldv1.JobEvent) error {
		states = append(states, ev.State)
		return nil
	}))
	assert.Equal(t, kamldv1.JobState_JOB_STATE_QUEUED, states[0])
	assert.Equal(t, kamldv1.JobState_JOB_STATE_SUCCEEDED, states[len(states)-1])
	assert.Contains(t, states, kamldv1.JobState_JOB_STATE_RUNNING)
	assert.Equal(t, "ok\n", logs(t, m, id(j), true), "follow after the end reads the archive")
	_, err = m.Get(t.Context(), "nope")
	assert.Equal(t, codes.NotFound, apierr.Code(err))
	err = m.Watch(t.Context(), "nope", func(*kamldv1.JobEvent) error { return nil })
	assert.Equal(t, codes.NotFound, apierr.Code(err))
}

func TestFlavors(t *testing.T) {
	e := newEnv(t)
	m := e.manager()
	fl, err := m.Flavors(t.Context())
	require.NoError(t, err)
	require.Len(t, fl, 1)
	assert.Equal(t, "cpu", fl[0].Name)
	assert.True(t, fl[0].Available)
	assert.True(t, fl[0].Images[0].Matches)
	assert.False(t, fl[0].Images[1].Matches, "a container image does not run locally")
}
