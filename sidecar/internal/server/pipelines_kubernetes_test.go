package server_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/kubetest"
)

// playStep plays the kubelet and the in-pod helper for step i of a run on Kubernetes: it waits for the
// step's Job, schedules its Pod, stores each output file where the helper would (the job's branch of the
// output dataset) and exits 0. It returns the step's job name.
func playStep(t *testing.T, s *sidecar, d *kubetest.Driver, runName string, i int) string {
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
	j, err := kamldv1.NewJobServiceClient(s.conn).GetJob(s.authed(), &kamldv1.GetJobRequest{Name: step.Job})
	require.NoError(t, err)
	id := strings.TrimPrefix(step.Job, "jobs/")
	run := compute.RunID{Job: id, Attempt: 1}
	d.Schedule(t, run)
	waitJob(t, s, step.Job, kamldv1.JobState_JOB_STATE_RUNNING)
	for _, o := range j.Outputs {
		writeFile(t, s, strings.TrimPrefix(o.Dataset, "datasets/")+"@job."+id, "v.txt", step.Name)
	}
	d.Exit(t, run, 0)
	return step.Job
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
