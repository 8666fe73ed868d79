package job_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/job"
)

// BenchmarkSubmitToRunning measures, for 100 jobs one after the other, the time from SubmitJob to the job's
// record showing RUNNING (a real process started by its supervisor, observed by the job's driver), as a
// client polling GetJob sees it. Reported as p50 and p99 (budget in docs/benchmarks.md: < 200 ms).
func BenchmarkSubmitToRunning(b *testing.B) {
	for b.Loop() {
		m := newEnv(b).manager(job.WithPollInterval(250 * time.Millisecond))
		var lat []time.Duration
		for range 100 {
			spec := &kamldv1.Job{Flavor: "cpu", Command: []string{"sleep", "60"}, Resources: &kamldv1.Resources{Cpu: "10m", Memory: "16Mi"}}
			start := time.Now()
			j, err := m.Submit(context.Background(), spec, "", "bench")
			require.NoError(b, err)
			for {
				got, err := m.Get(context.Background(), id(j))
				require.NoError(b, err)
				if got.State == kamldv1.JobState_JOB_STATE_RUNNING {
					break
				}
				require.NotEqual(b, kamldv1.JobState_JOB_STATE_FAILED, got.State, got.Events)
				time.Sleep(time.Millisecond)
			}
			lat = append(lat, time.Since(start))
			_, err = m.Cancel(context.Background(), id(j), "")
			require.NoError(b, err)
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[49].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[98].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkListJobs1000 records 1,000 jobs (unschedulable, then cancelled: real records and events, no
// processes) and measures the first page of 50 and a walk through all of them in pages of 50 and of 1,000.
func BenchmarkListJobs1000(b *testing.B) {
	m := newEnv(b).manager()
	ctx := context.Background()
	for range 1000 {
		spec := &kamldv1.Job{Flavor: "cpu", Command: []string{"true"}, Resources: &kamldv1.Resources{Gpu: 1}}
		j, err := m.Submit(ctx, spec, "", "bench")
		require.NoError(b, err)
		_, err = m.Cancel(ctx, id(j), "")
		require.NoError(b, err)
	}
	walk := func(size int32) (int, time.Duration) {
		start, n, token := time.Now(), 0, ""
		for {
			page, next, err := m.List(ctx, job.ListOptions{PageSize: size, PageToken: token})
			require.NoError(b, err)
			n += len(page)
			if next == "" {
				return n, time.Since(start)
			}
			token = next
		}
	}
	for b.Loop() {
		start := time.Now()
		page, _, err := m.List(ctx, job.ListOptions{PageSize: 50})
		require.NoError(b, err)
		require.Len(b, page, 50)
		first := time.Since(start)
		n50, all50 := walk(50)
		n1000, all1000 := walk(1000)
		require.Equal(b, 1000, n50)
		require.Equal(b, 1000, n1000)
		b.ReportMetric(float64(first.Microseconds())/1000, "first-page-ms")
		b.ReportMetric(float64(all50.Microseconds())/1000, "all-by-50-ms")
		b.ReportMetric(float64(all1000.Microseconds())/1000, "all-by-1000-ms")
	}
}
