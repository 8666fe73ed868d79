package server_test

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/kubetest"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/podhelper"
)

// stepJob waits until step i of a run on Kubernetes has its Job, pending, and returns the step and its run.
func stepJob(t *testing.T, s *sidecar, runName string, i int) (*kamldv1.PipelineStep, compute.RunID) {
	t.Helper()
	c := kamldv1.NewPipelineServiceClient(s.conn)
	var step *kamldv1.PipelineStep
	require.Eventually(t, func() bool {
		r, err := c.GetPipelineRun(s.authed(), &kamldv1.GetPipelineRunRequest{Name: runName})
		require.NoError(t, err)
		step = r.Steps[i]
		if step.State != kamldv1.PipelineStepState_PIPELINE_STEP_STATE_RUNNING {
			return false
		}
		j, err := kamldv1.NewJobServiceClient(s.conn).GetJob(s.authed(), &kamldv1.GetJobRequest{Name: step.Job})
		return err == nil && j.State == kamldv1.JobState_JOB_STATE_PENDING
	}, 60*time.Second, 20*time.Millisecond, "step %d never got its Job", i)
	return step, compute.RunID{Job: strings.TrimPrefix(step.Job, "jobs/"), Attempt: 1}
}

// playStep plays the kubelet and the in-pod helper for step i of a run on Kubernetes: it waits for the
// step's Job, schedules its Pod, stores each output file where the helper would (the job's branch of the
// output dataset) and exits 0. It returns the step's job name.
func playStep(t *testing.T, s *sidecar, d *kubetest.Driver, runName string, i int) string {
	t.Helper()
	step, run := stepJob(t, s, runName, i)
	j, err := kamldv1.NewJobServiceClient(s.conn).GetJob(s.authed(), &kamldv1.GetJobRequest{Name: step.Job})
	require.NoError(t, err)
	d.Schedule(t, run)
	waitJob(t, s, step.Job, kamldv1.JobState_JOB_STATE_RUNNING)
	for _, o := range j.Outputs {
		writeFile(t, s, strings.TrimPrefix(o.Dataset, "datasets/")+"@job."+run.Job, "v.txt", step.Name)
	}
	d.Exit(t, run, 0)
	return step.Job
}

// execStep plays step i's Pod (a step without outputs) by running what its run container would, on this
// machine: the command after the helper's "--", from the Job the backend created, with the container's
// environment, in a fresh work directory, through the helper's own code; then what the helper leaves in
// /dev/termination-log becomes the container's termination message, as the kubelet copies it. It returns
// the step's Job as the backend created it (it is deleted when the step ends).
func execStep(t *testing.T, s *sidecar, d *kubetest.Driver, runName string, i int) *batchv1.Job {
	t.Helper()
	step, run := stepJob(t, s, runName, i)
	job := d.Job(t, run)
	m, err := podhelper.ParseManifest([]byte(job.Spec.Template.Annotations[kubernetes.AnnotationManifest]))
	require.NoError(t, err)
	c := job.Spec.Template.Spec.Containers[0]
	env := os.Environ()
	for _, e := range c.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	d.Schedule(t, run)
	waitJob(t, s, step.Job, kamldv1.JobState_JOB_STATE_RUNNING)
	var out bytes.Buffer
	work := t.TempDir()
	code, err := podhelper.Exec(t.Context(), c.Command[slices.Index(c.Command, "--")+1:], work, podhelper.ChildEnv(env), &out, &out)
	require.NoError(t, err)
	d.Log(t, run, out.String())
	message := ""
	if code == 0 {
		export, err := podhelper.StoreOutputs(t.Context(), m, work, nil)
		if err != nil {
			code, message = 1, podhelper.FailureMessage(compute.ReasonOutputsFailed, err)
		} else if export != nil {
			message = podhelper.ExportMessage(export)
		}
	}
	d.ExitWith(t, run, code, message)
	return job
}

// TestPipelinesOnKubernetes_ExportedEnv: on Kubernetes, the hello-world's first step exports MESSAGE, the
// helper carries the file back in the termination message, and the later steps' Jobs carry it in their
// environment; a bad name in the file fails its step, and so does a file larger than a termination message.
func TestPipelinesOnKubernetes_ExportedEnv(t *testing.T) {
	_, _, s, d := startOnKubernetes(t)
	c := kamldv1.NewPipelineServiceClient(s.conn)

	src, err := os.ReadFile("../../../examples/pipelines/hello.yaml")
	require.NoError(t, err)
	hello, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: string(src)})
	require.NoError(t, err)
	var jobs []*batchv1.Job
	for i := range 3 {
		jobs = append(jobs, execStep(t, s, d, hello.Name, i))
	}
	r := waitRun(t, s, hello.Name)
	require.Equal(t, kamldv1.PipelineRunState_PIPELINE_RUN_STATE_SUCCEEDED, r.State, "%v", r)
	assert.Equal(t, []string{"MESSAGE"}, r.Steps[0].ExportedEnv)
	assert.Contains(t, jobs[2].Spec.Template.Spec.Containers[0].Env, corev1.EnvVar{Name: "MESSAGE", Value: "Hello, world!"},
		"the last step's Pod gets the exported variable")
	assert.Equal(t, "Hello, world!\n", jobLog(t, s, r.Steps[2].Job))
	assert.Contains(t, jobLog(t, s, r.Steps[1].Job), "second step sees Hello, world!")

	bad, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: exportPipeline("kbad", `open(os.environ["KAMLD_EXPORT_ENV"], "a").write("1BAD=x\nGOOD=y\n")`)})
	require.NoError(t, err)
	execStep(t, s, d, bad.Name, 0)
	r = waitRun(t, s, bad.Name)
	assert.Equal(t, map[string]string{"export": "FAILED", "after": "SKIPPED"}, stepStates(r))
	assert.Contains(t, r.Steps[0].Message, "exported environment ($KAMLD_EXPORT_ENV) refused: line 1 is not NAME=VALUE")

	big, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: exportPipeline("kbig", `open(os.environ["KAMLD_EXPORT_ENV"], "w").write("A=" + "x" * 5000)`)})
	require.NoError(t, err)
	execStep(t, s, d, big.Name, 0)
	r = waitRun(t, s, big.Name)
	assert.Equal(t, "FAILED", stepStates(r)["export"])
	assert.Contains(t, r.Steps[0].Message, "OutputsFailed the exported environment .kamld-export.env is 5002 bytes; on Kubernetes at most 4082 bytes")
}

// exportPipeline is two steps: "export" runs the Python script (after "import os"), "after" follows it.
func exportPipeline(name, script string) string {
	q, _ := json.Marshal("import os; " + script)
	return "name: " + name + "\nsteps:\n  - name: export\n    command: [python3, -c, " + string(q) + "]\n" +
		"  - name: after\n    after: [export]\n    command: [\"true\"]\n"
}

// TestPipelinesOnKubernetes runs pipelines on the Kubernetes backend against a real kube-apiserver: the
// iris pipeline's training step's Job carries the "gpu" node group as its node selector; an unchanged
// five-step pipeline run a second time creates no Job at all and yields the same output snapshots; after a
// change of one step's code, exactly it and its descendants get Jobs.
func TestPipelinesOnKubernetes(t *testing.T) {
	_, _, s, d := startOnKubernetes(t)
	c := kamldv1.NewPipelineServiceClient(s.conn)

	src, err := os.ReadFile("../../../examples/pipelines/iris/pipeline.yaml")
	require.NoError(t, err)
	files := map[string][]byte{"process.py": []byte("p"), "train.py": []byte("t"), "evaluate.py": []byte("e")}
	plan, err := c.PlanPipeline(s.authed(), &kamldv1.PlanPipelineRequest{Source: string(src), Files: files})
	require.NoError(t, err)
	assert.Equal(t, "python:3.11-slim", plan.Steps[0].Image)
	assert.Contains(t, plan.Steps[0].ImageNote, "tag, not a digest", "the plan says the image is keyed by its tag")
	iris, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: string(src), Files: files})
	require.NoError(t, err)
	playStep(t, s, d, iris.Name, 0)
	train := playStep(t, s, d, iris.Name, 1)
	job := d.Job(t, compute.RunID{Job: strings.TrimPrefix(train, "jobs/"), Attempt: 1})
	assert.Equal(t, map[string]string{"group": "gpu"}, job.Spec.Template.Spec.NodeSelector, "the training step runs on the gpu node group")
	playStep(t, s, d, iris.Name, 2)
	r := waitRun(t, s, iris.Name)
	require.Equal(t, kamldv1.PipelineRunState_PIPELINE_RUN_STATE_SUCCEEDED, r.State, "%v", r)

	five := fiveSteps("kfive", [5]string{})
	first, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: five})
	require.NoError(t, err)
	for i := range 5 {
		playStep(t, s, d, first.Name, i)
	}
	r1 := waitRun(t, s, first.Name)
	require.Equal(t, kamldv1.PipelineRunState_PIPELINE_RUN_STATE_SUCCEEDED, r1.State, "%v", r1)

	second, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: five})
	require.NoError(t, err)
	r2 := waitRun(t, s, second.Name)
	assert.Equal(t, map[string]string{"s1": "CACHED", "s2": "CACHED", "s3": "CACHED", "s4": "CACHED", "s5": "CACHED"}, stepStates(r2))
	assert.Equal(t, stepOutputs(r1), stepOutputs(r2), "the same output snapshots")
	assert.Empty(t, runJobs(t, s, second.Name), "no job, so no Kubernetes Job: 0 steps executed")

	changed := fiveSteps("kfive", [5]string{3: "changed"})
	third, err := c.RunPipeline(s.authed(), &kamldv1.RunPipelineRequest{Source: changed})
	require.NoError(t, err)
	playStep(t, s, d, third.Name, 3)
	playStep(t, s, d, third.Name, 4)
	r3 := waitRun(t, s, third.Name)
	assert.Equal(t, map[string]string{"s1": "CACHED", "s2": "CACHED", "s3": "CACHED", "s4": "SUCCEEDED", "s5": "SUCCEEDED"}, stepStates(r3))
	assert.Len(t, runJobs(t, s, third.Name), 2, "exactly the changed step and its descendant ran")
}

// runJobs lists the jobs of a pipeline run (by the label every step's job carries).
func runJobs(t *testing.T, s *sidecar, run string) []*kamldv1.Job {
	t.Helper()
	l, err := kamldv1.NewJobServiceClient(s.conn).ListJobs(s.authed(), &kamldv1.ListJobsRequest{Labels: map[string]string{"kamld.io/pipeline-run": strings.TrimPrefix(run, "pipelineRuns/")}})
	require.NoError(t, err)
	return l.Jobs
}
