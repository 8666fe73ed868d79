package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// chain is a pipeline of n steps in a row, each appending its number to the file the step before wrote;
// step slow sleeps first, long enough to be killed in.
func chain(n, slow int) string {
	var b strings.Builder
	b.WriteString("name: chain\nsteps:\n")
	for i := 1; i <= n; i++ {
		pause := 0
		if i == slow {
			pause = 3
		}
		fmt.Fprintf(&b, "  - name: s%d\n    command: [python3, -c, %q]\n    outputs: {out: chain-s%d}\n", i,
			fmt.Sprintf("import os, time; time.sleep(%d); os.makedirs('out', exist_ok=True); p = 'in/v.txt'; v = open(p).read() if os.path.exists(p) else ''; open('out/v.txt', 'w').write(v + '%d')", pause, i), i)
		if i > 1 {
			fmt.Fprintf(&b, "    inputs: {in: steps.s%d.outputs.out}\n", i-1)
		}
	}
	return b.String()
}

func (k *kamldProcess) pipelines() kamldv1.PipelineServiceClient {
	return kamldv1.NewPipelineServiceClient(k.conn)
}

// TestSIGKILLDuringAPipeline kills the sidecar with SIGKILL while step 3 of 5 runs. After a restart the run
// finishes; steps 1 and 2 are not run again (one job each), step 3 is the same job, followed to its end, and
// every output is committed exactly once.
func TestSIGKILLDuringAPipeline(t *testing.T) {
	dir := t.TempDir()
	k := startKamld(t, dir)
	run, err := k.pipelines().RunPipeline(k.ctx, &kamldv1.RunPipelineRequest{Source: chain(5, 3)})
	require.NoError(t, err)
	var third string
	require.Eventually(t, func() bool { // the step is recorded RUNNING just before its job is submitted
		r, err := k.pipelines().GetPipelineRun(k.ctx, &kamldv1.GetPipelineRunRequest{Name: run.Name})
		require.NoError(t, err)
		third = r.Steps[2].Job
		if r.Steps[2].State != kamldv1.PipelineStepState_PIPELINE_STEP_STATE_RUNNING {
			return false
		}
		j, err := k.jobs().GetJob(k.ctx, &kamldv1.GetJobRequest{Name: third})
		return err == nil && j.State == kamldv1.JobState_JOB_STATE_RUNNING
	}, 60*time.Second, 10*time.Millisecond)

	require.NoError(t, k.cmd.Process.Signal(syscall.SIGKILL))
	_ = k.cmd.Wait()

	k2 := startKamld(t, dir)
	var r *kamldv1.PipelineRun
	require.Eventually(t, func() bool {
		r, err = k2.pipelines().GetPipelineRun(k2.ctx, &kamldv1.GetPipelineRunRequest{Name: run.Name})
		require.NoError(t, err)
		return r.State != kamldv1.PipelineRunState_PIPELINE_RUN_STATE_RUNNING
	}, 90*time.Second, 20*time.Millisecond)
	require.Equal(t, kamldv1.PipelineRunState_PIPELINE_RUN_STATE_SUCCEEDED, r.State, "%v", r)
	for i, st := range r.Steps {
		assert.Len(t, st.Jobs, 1, "step %s ran once", st.Name)
		snaps, err := kamldv1.NewSnapshotServiceClient(k2.conn).ListSnapshots(k2.ctx, &kamldv1.ListSnapshotsRequest{Parent: fmt.Sprintf("datasets/chain-s%d", i+1)})
		require.NoError(t, err)
		require.Len(t, snaps.Snapshots, 1, "step %s's output committed exactly once", st.Name)
		assert.Equal(t, st.Job, snaps.Snapshots[0].Lineage.Job)
		assert.Equal(t, snaps.Snapshots[0].Name, st.Outputs["out"])
	}
	assert.Equal(t, third, r.Steps[2].Job, "the step running at the kill is the job followed after the restart")
	jobs, err := k2.jobs().ListJobs(k2.ctx, &kamldv1.ListJobsRequest{Labels: map[string]string{"kamld.io/pipeline-run": strings.TrimPrefix(run.Name, "pipelineRuns/")}})
	require.NoError(t, err)
	assert.Len(t, jobs.Jobs, 5, "five jobs in all: nothing ran twice")
	rs, err := kamldv1.NewFileServiceClient(k2.conn).ReadFile(k2.ctx, &kamldv1.ReadFileRequest{Dataset: "datasets/chain-s5", Path: "v.txt"})
	require.NoError(t, err)
	body, err := rs.Recv()
	require.NoError(t, err)
	assert.Equal(t, "12345", string(body.GetData()), "each step read the output of the one before")
}
