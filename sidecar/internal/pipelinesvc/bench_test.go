package pipelinesvc_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/local"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/job"
	"github.com/kamld/kamld/sidecar/internal/pipeline"
	"github.com/kamld/kamld/sidecar/internal/pipelinesvc"
)

// stack is the job and pipeline domains over a fresh fs store and the local backend, with the sidecar's
// default poll intervals.
type stack struct {
	jobs      *job.Manager
	pipelines *pipeline.Manager
}

func newStack(b testing.TB) stack {
	store, err := fs.New(b.TempDir())
	require.NoError(b, err)
	engine := dataset.New(store)
	ctx := context.Background()
	_, err = engine.CreateDataset(ctx, "iris", dataset.Metadata{})
	require.NoError(b, err)
	_, err = engine.WriteFile(ctx, "iris", "iris.csv", strings.NewReader("a,b\n1,2\n"), dataset.WriteOptions{})
	require.NoError(b, err)
	_, err = engine.CreateSnapshot(ctx, "iris", dataset.SnapshotOptions{Message: "v1"})
	require.NoError(b, err)
	backend, err := local.New(b.TempDir(), compute.NewDatasetData(engine), local.WithCapacity(2000, 4<<30))
	require.NoError(b, err)
	jm := job.New(store, engine, backend)
	require.NoError(b, jm.Start(ctx))
	pm := pipeline.New(store, engine, pipelinesvc.Jobs{M: jm})
	require.NoError(b, pm.Start(ctx))
	b.Cleanup(func() { pm.Close(); jm.Close(); _ = backend.Close() })
	return stack{jobs: jm, pipelines: pm}
}

// BenchmarkSchedulingOverhead runs 20 no-op commands as 20 jobs one after the other (each submitted when the
// one before succeeded, as a client polling GetJob would), then as a pipeline of 20 steps in a row (cache: false: the steps are identical, so
// they would share one cache entry), and
// reports the pipeline's extra time per step and the ratio of the two (docs/benchmarks.md).
func BenchmarkSchedulingOverhead(b *testing.B) {
	const n = 20
	for b.Loop() {
		s := newStack(b)
		ctx := context.Background()
		start := time.Now()
		for range n {
			j, err := s.jobs.Submit(ctx, &kamldv1.Job{Flavor: "cpu", Command: []string{"true"}, Resources: &kamldv1.Resources{Cpu: "10m", Memory: "16Mi"}}, "", "bench")
			require.NoError(b, err)
			for {
				got, err := s.jobs.Get(ctx, strings.TrimPrefix(j.Name, "jobs/"))
				require.NoError(b, err)
				if got.State == kamldv1.JobState_JOB_STATE_SUCCEEDED {
					break
				}
				require.NotEqual(b, kamldv1.JobState_JOB_STATE_FAILED, got.State, got.Events)
				time.Sleep(time.Millisecond)
			}
		}
		jobs := time.Since(start)

		var src strings.Builder
		src.WriteString("name: noop\nsteps:\n")
		for i := range n {
			fmt.Fprintf(&src, "  - {name: s%d, command: [\"true\"], cache: false, resources: {cpu: 10m, memory: 16Mi}", i)
			if i > 0 {
				fmt.Fprintf(&src, ", after: [s%d]", i-1)
			}
			src.WriteString("}\n")
		}
		start = time.Now()
		r, err := s.pipelines.Run(ctx, pipeline.Request{Source: []byte(src.String())}, "", "bench")
		require.NoError(b, err)
		for !r.Final() {
			time.Sleep(time.Millisecond)
			r, err = s.pipelines.Get(ctx, r.ID)
			require.NoError(b, err)
		}
		pipe := time.Since(start)
		require.Equal(b, pipeline.RunSucceeded, r.State, r.Message)
		// The gap between a step's job ending and the next one's being submitted is the scheduler's own time.
		var gap, inJob time.Duration
		var prevEnd time.Time
		for i, st := range r.Steps {
			j, err := s.jobs.Get(ctx, st.Jobs[0])
			require.NoError(b, err)
			if i > 0 {
				gap += j.CreateTime.AsTime().Sub(prevEnd)
			}
			inJob += j.EndTime.AsTime().Sub(j.CreateTime.AsTime())
			prevEnd = j.EndTime.AsTime()
		}
		b.ReportMetric(float64(gap.Milliseconds())/(n-1), "gap-ms/step")
		b.ReportMetric(float64(inJob.Milliseconds())/n, "pipeline-job-ms/step")
		b.ReportMetric(float64(jobs.Milliseconds())/n, "job-ms/step")
		b.ReportMetric(float64(pipe.Milliseconds())/n, "pipeline-ms/step")
		b.ReportMetric(float64((pipe-jobs).Milliseconds())/n, "overhead-ms/step")
		b.ReportMetric(pipe.Seconds()/jobs.Seconds(), "ratio")
	}
}

// BenchmarkPlan200 plans a pipeline of 200 steps: 20 independent chains of 10, each step reading a dataset
// snapshot and a working file, half of them already in the cache (the first five of each chain ran).
func BenchmarkPlan200(b *testing.B) {
	s := newStack(b)
	ctx := context.Background()
	source := func(steps int) []byte {
		var src strings.Builder
		src.WriteString("name: wide\nsteps:\n")
		for c := range 20 {
			for i := range steps {
				fmt.Fprintf(&src, "  - name: c%d-s%d\n    command: [python3, step.py, \"%d\"]\n    working_files: [step.py]\n    inputs: {data: iris@v1}\n    resources: {cpu: 10m, memory: 16Mi}\n", c, i, i)
				if i > 0 {
					fmt.Fprintf(&src, "    after: [c%d-s%d]\n", c, i-1)
				}
			}
		}
		return []byte(src.String())
	}
	files := map[string][]byte{"step.py": []byte("import sys\n")}
	// The first five steps of each chain run once (100 no-op jobs), so the plan finds them in the cache.
	warm, err := s.pipelines.Run(ctx, pipeline.Request{Source: source(5), Files: files}, "", "bench")
	require.NoError(b, err)
	for !warm.Final() {
		time.Sleep(20 * time.Millisecond)
		warm, err = s.pipelines.Get(ctx, warm.ID)
		require.NoError(b, err)
	}
	require.Equal(b, pipeline.RunSucceeded, warm.State, warm.Message)
	src := source(10)
	for b.Loop() {
		p, err := s.pipelines.Plan(ctx, pipeline.Request{Source: src, Files: files})
		require.NoError(b, err)
		require.Len(b, p.Steps, 200)
		cached := 0
		for _, st := range p.Steps {
			if st.Action == pipeline.ActionCached {
				cached++
			}
		}
		require.Equal(b, 100, cached)
	}
}
