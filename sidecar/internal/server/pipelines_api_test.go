package server_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/config"
)

// fiveSteps is a pipeline of five steps in a row, each reading the output of the one before; code[i] is
// appended to step i's program as a comment, so a test can change one step's code.
func fiveSteps(prefix string, code [5]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nsteps:\n", prefix)
	for i := range 5 {
		prog := fmt.Sprintf("import os; os.makedirs('out', exist_ok=True); prev = open('in/v.txt').read() if os.path.exists('in/v.txt') else ''; open('out/v.txt', 'w').write(prev + '%d')  # %s", i+1, code[i])
		fmt.Fprintf(&b, "  - name: s%d\n    command: [python3, -c, %q]\n    outputs: {out: %s-s%d}\n    resources: {cpu: 100m, memory: 128Mi}\n", i+1, prog, prefix, i+1)
		if i > 0 {
			fmt.Fprintf(&b, "    inputs: {in: steps.s%d.outputs.out}\n", i)
		}
	}
	return b.String()
}

func waitRun(t *testing.T, s *sidecar, name string) *kamldv1.PipelineRun {
	t.Helper()
	c := kamldv1.NewPipelineServiceClient(s.conn)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		r, err := c.GetPipelineRun(s.authed(), &kamldv1.GetPipelineRunRequest{Name: name})
		require.NoError(t, err)
		if r.State != kamldv1.PipelineRunState_PIPELINE_RUN_STATE_RUNNING {
			return r
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("pipeline run %s never ended", name)
	return nil
}

func stepStates(r *kamldv1.PipelineRun) map[string]string {
	out := map[string]string{}
	for _, s := range r.Steps {
		out[s.Name] = strings.TrimPrefix(s.State.String(), "PIPELINE_STEP_STATE_")
	}
	return out
}

func stepOutputs(r *kamldv1.PipelineRun) map[string]string {
	out := map[string]string{}
	for _, s := range r.Steps {
		for k, v := range s.Outputs {
			out[s.Name+"/"+k] = v
		}
	}
	return out
}

func planActions(p *kamldv1.PipelinePlan) map[string]string {
	out := map[string]string{}
	for _, s := range p.Steps {
		out[s.Name] = s.Action
	}
	return out
}

// TestPipelines_Local runs pipelines on the local backend through the API: the hello-world with exported
// environment, the iris machine-learning pipeline, caching of an unchanged five-step pipeline, a change of
// one step's code, re-run from a step, and cancel.
func TestPipelines_Local(t *testing.T) {
	s := startSidecar(t, func(c *config.Config) { c.Samples = true })
	c := kamldv1.NewPipelineServiceClient(s.conn)

	t.Run("hello world carries exported env to the last step", func(t *testing.T) {
		src, err := os.ReadFile("../../../examples/pipelines/hello.yaml")
		require.NoError(t, err)
		run, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: string(src)})
		require.NoError(t, err)
		r := waitRun(t, s, run.Name)
		require.Equal(t, kamldv1.PipelineRunState_PIPELINE_RUN_STATE_SUCCEEDED, r.State, "%v", r)
		assert.Equal(t, []string{"MESSAGE"}, r.Steps[0].ExportedEnv)
		assert.Equal(t, "Hello, world!\n", jobLog(t, s, r.Steps[2].Job))
		assert.Contains(t, jobLog(t, s, r.Steps[1].Job), "second step sees Hello, world!")
	})

	t.Run("a bad exported name fails its step", func(t *testing.T) {
		run, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: exportPipeline("lbad", `open(os.environ["KAMLD_EXPORT_ENV"], "a").write("1BAD=x\nGOOD=y\n")`)})
		require.NoError(t, err)
		r := waitRun(t, s, run.Name)
		assert.Equal(t, map[string]string{"export": "FAILED", "after": "SKIPPED"}, stepStates(r))
		assert.Contains(t, r.Steps[0].Message, "exported environment ($KAMLD_EXPORT_ENV) refused: line 1 is not NAME=VALUE")
	})

	t.Run("iris: process, train, evaluate", func(t *testing.T) {
		src, err := os.ReadFile("../../../examples/pipelines/iris/pipeline.yaml")
		require.NoError(t, err)
		files := map[string][]byte{}
		for _, f := range []string{"process.py", "train.py", "evaluate.py"} {
			files[f], err = os.ReadFile("../../../examples/pipelines/iris/" + f)
			require.NoError(t, err)
		}
		run, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: string(src), Files: files})
		require.NoError(t, err)
		r := waitRun(t, s, run.Name)
		require.Equal(t, kamldv1.PipelineRunState_PIPELINE_RUN_STATE_SUCCEEDED, r.State, "%v", r)
		assert.Contains(t, jobLog(t, s, r.Steps[2].Job), "accuracy 0.9")
		metrics := r.Steps[2].Outputs["metrics"]
		require.True(t, strings.HasPrefix(metrics, "datasets/iris-metrics/snapshots/"), metrics)
		train, err := kamldv1.NewJobServiceClient(s.conn).GetJob(s.authed(), &kamldv1.GetJobRequest{Name: r.Steps[1].Job})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"group": "gpu"}, train.NodeSelector, "the step's node group is its job's node selector")
		assert.Equal(t, "iris", train.Labels["kamld.io/pipeline"])
		snap, err := kamldv1.NewSnapshotServiceClient(s.conn).GetSnapshot(s.authed(), &kamldv1.GetSnapshotRequest{Name: r.Steps[1].Outputs["model"]})
		require.NoError(t, err)
		assert.Equal(t, r.Steps[1].Job, snap.Lineage.Job, "a step's outputs carry its job's lineage")
		assert.Equal(t, []string{r.Steps[0].Outputs["split"]}, snap.Lineage.Inputs)
	})

	t.Run("an unchanged pipeline runs no step the second time", func(t *testing.T) {
		src := fiveSteps("five", [5]string{})
		first, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: src})
		require.NoError(t, err)
		r1 := waitRun(t, s, first.Name)
		require.Equal(t, kamldv1.PipelineRunState_PIPELINE_RUN_STATE_SUCCEEDED, r1.State, "%v", r1)
		assert.Equal(t, map[string]string{"s1": "SUCCEEDED", "s2": "SUCCEEDED", "s3": "SUCCEEDED", "s4": "SUCCEEDED", "s5": "SUCCEEDED"}, stepStates(r1))

		plan, err := c.PlanPipeline(s.authed(), &kamldv1.PlanPipelineRequest{Source: src})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"s1": "cached", "s2": "cached", "s3": "cached", "s4": "cached", "s5": "cached"}, planActions(plan))
		assert.Contains(t, plan.Steps[0].ImageNote, "host", "the local image is not a digest, and the plan says so")

		second, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: src})
		require.NoError(t, err)
		r2 := waitRun(t, s, second.Name)
		require.Equal(t, kamldv1.PipelineRunState_PIPELINE_RUN_STATE_SUCCEEDED, r2.State, "%v", r2)
		assert.Equal(t, map[string]string{"s1": "CACHED", "s2": "CACHED", "s3": "CACHED", "s4": "CACHED", "s5": "CACHED"}, stepStates(r2))
		assert.Equal(t, stepOutputs(r1), stepOutputs(r2), "the same output snapshots")
		for _, st := range r2.Steps {
			assert.Empty(t, st.Jobs, "step %s ran a job", st.Name)
			assert.Equal(t, first.Name, st.CachedFrom, "lineage to the run that made the outputs")
		}
		assert.Empty(t, runJobs(t, s, second.Name), "0 steps executed")

		// Changing step 3's code re-runs exactly it and its descendants.
		changed := fiveSteps("five", [5]string{2: "changed"})
		plan, err = c.PlanPipeline(s.authed(), &kamldv1.PlanPipelineRequest{Source: changed})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"s1": "cached", "s2": "cached", "s3": "run", "s4": "run", "s5": "run"}, planActions(plan))
		assert.Equal(t, []string{"command changed"}, plan.Steps[2].Reasons)
		assert.Contains(t, plan.Steps[3].Reasons[0], "step s3")
		third, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: changed})
		require.NoError(t, err)
		r3 := waitRun(t, s, third.Name)
		assert.Equal(t, map[string]string{"s1": "CACHED", "s2": "CACHED", "s3": "SUCCEEDED", "s4": "SUCCEEDED", "s5": "SUCCEEDED"}, stepStates(r3))
		assert.Equal(t, stepOutputs(r1)["s2/out"], stepOutputs(r3)["s2/out"])
		assert.NotEqual(t, stepOutputs(r1)["s3/out"], stepOutputs(r3)["s3/out"])

		// Re-run from a step: it and its descendants only.
		plan, err = c.PlanPipeline(s.authed(), &kamldv1.PlanPipelineRequest{Source: changed, RerunFrom: "s4"})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"s1": "cached", "s2": "cached", "s3": "cached", "s4": "run", "s5": "run"}, planActions(plan))
	})

	t.Run("cancel stops the running step", func(t *testing.T) {
		src := "name: slow\nsteps:\n  - name: wait\n    command: [sleep, \"300\"]\n    cache: false\n  - name: after\n    after: [wait]\n    command: [\"true\"]\n"
		run, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: src})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			r, err := c.GetPipelineRun(s.authed(), &kamldv1.GetPipelineRunRequest{Name: run.Name})
			require.NoError(t, err)
			return r.Steps[0].State == kamldv1.PipelineStepState_PIPELINE_STEP_STATE_RUNNING
		}, 30*time.Second, 20*time.Millisecond)
		code, body, _ := s.rest(t, "POST", "/v1/"+run.Name+":cancel", `{"reason":"enough"}`, s.bearer())
		require.Equal(t, http.StatusOK, code, body)
		r := waitRun(t, s, run.Name)
		assert.Equal(t, kamldv1.PipelineRunState_PIPELINE_RUN_STATE_CANCELLED, r.State)
		assert.Equal(t, map[string]string{"wait": "CANCELLED", "after": "CANCELLED"}, stepStates(r))
		j, err := kamldv1.NewJobServiceClient(s.conn).GetJob(s.authed(), &kamldv1.GetJobRequest{Name: r.Steps[0].Job})
		require.NoError(t, err)
		assert.Equal(t, kamldv1.JobState_JOB_STATE_CANCELLED, j.State, "the cancel cascades to the step's job")
	})
}

// TestPipelines_Invalid: every problem of a pipeline is INVALID_ARGUMENT before anything runs, each a field
// violation naming the step and field, over gRPC and REST.
func TestPipelines_Invalid(t *testing.T) {
	s := startSidecar(t)
	seedIris(t, s)
	c := kamldv1.NewPipelineServiceClient(s.conn)
	src := `name: bad
steps:
  - name: a
    command: [python3, x.py]
    working_files: [x.py]
    after: [c]
  - name: b
    command: [echo, hi]
    flavor: quantum
    inputs: {data: "iris@draft", other: steps.nosuch.outputs.x}
  - name: c
    command: [echo, hi]
    after: [a]
    outputs: {out: "Bad Name"}
  - name: d
    command: [echo, "$HOME"]
    inputs: {m: steps.a.outputs.model}
    retries: {limit: 99, on_exit_codes: [0]}
    timeout: soon
`
	_, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: src})
	require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
	fields := map[string]string{}
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.FieldViolations {
				fields[v.Field] = v.Description
			}
		}
	}
	for _, f := range []string{"steps.a.working_files[0]", "steps.b.flavor", "steps.b.inputs.data", "steps.b.inputs.other",
		"steps.c.outputs.out", "steps.d.command[1]", "steps.d.inputs.m", "steps.d.retries.limit", "steps.d.retries.on_exit_codes[0]", "steps.d.timeout"} {
		assert.Contains(t, fields, f)
	}
	assert.Contains(t, fields["steps.b.inputs.other"], `unknown step "nosuch"`)
	assert.Contains(t, fields["steps.b.flavor"], "quantum")

	cyclic := "name: cyc\nsteps:\n  - {name: a, command: [\"true\"], after: [b]}\n  - {name: b, command: [\"true\"], after: [a]}\n"
	_, err = c.PlanPipeline(s.authed(), &kamldv1.PlanPipelineRequest{Source: cyclic})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	assert.Contains(t, err.Error(), "cycle")

	code, body, _ := s.rest(t, "POST", "/v1/pipelines:plan", `{"source":"name: x\nsteps: [{name: a, command: [\"true\"], bogus: 1}]"}`, s.bearer())
	assert.Equal(t, http.StatusBadRequest, code, body)
	assert.Contains(t, body, "bogus")
	code, body, _ = s.rest(t, "POST", "/v1/pipelines:plan", `{"source":"name: x\nsteps: [{name: a, command: [\"true\"], inputs: {d: nosuch@v1}}]"}`, s.bearer())
	assert.Equal(t, http.StatusNotFound, code, body)
	code, body, _ = s.rest(t, "GET", "/v1/pipelineRuns/nosuch", "", s.bearer())
	assert.Equal(t, http.StatusNotFound, code, body)
	code, _, _ = s.rest(t, "GET", "/v1/pipelineRuns?pageSize=-1", "", s.bearer())
	assert.Equal(t, http.StatusBadRequest, code)
}
