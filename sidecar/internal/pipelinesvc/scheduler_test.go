package pipelinesvc_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/pipeline"
)

func runToEnd(t *testing.T, s stack, src string) *pipeline.Run {
	t.Helper()
	ctx := context.Background()
	r, err := s.pipelines.Run(ctx, pipeline.Request{Source: []byte(src)}, "", "tester")
	require.NoError(t, err)
	deadline := time.Now().Add(90 * time.Second)
	for !r.Final() {
		require.True(t, time.Now().Before(deadline), "run %s never ended", r.ID)
		time.Sleep(20 * time.Millisecond)
		r, err = s.pipelines.Get(ctx, r.ID)
		require.NoError(t, err)
	}
	return r
}

func states(r *pipeline.Run) map[string]pipeline.StepState {
	out := map[string]pipeline.StepState{}
	for _, s := range r.Steps {
		out[s.Name] = s.State
	}
	return out
}

// TestParallelismLimit: four independent steps with max_parallel 2 run two at a time — never more, and
// some of them together.
func TestParallelismLimit(t *testing.T) {
	s := newStack(t)
	var src strings.Builder
	src.WriteString("name: wide\nmax_parallel: 2\nsteps:\n")
	for _, n := range []string{"a", "b", "c", "d"} {
		src.WriteString("  - {name: " + n + ", command: [sleep, \"1\"], cache: false, resources: {cpu: 10m, memory: 16Mi}}\n")
	}
	r := runToEnd(t, s, src.String())
	require.Equal(t, pipeline.RunSucceeded, r.State, r.Message)
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, st := range r.Steps {
		j, err := s.jobs.Get(context.Background(), st.Jobs[0])
		require.NoError(t, err)
		edges = append(edges, edge{j.CreateTime.AsTime(), 1}, edge{j.EndTime.AsTime(), -1})
	}
	sort.Slice(edges, func(i, k int) bool {
		if edges[i].at.Equal(edges[k].at) {
			return edges[i].delta < edges[k].delta
		}
		return edges[i].at.Before(edges[k].at)
	})
	most, now := 0, 0
	for _, e := range edges {
		now += e.delta
		most = max(most, now)
	}
	assert.Equal(t, 2, most, "two steps at a time")
}

// TestFailurePolicies: with on_failure continue, a step independent of the failed one still runs and the
// failed one's dependants are skipped; with stop (the default), the running independent step is cancelled.
func TestFailurePolicies(t *testing.T) {
	s := newStack(t)
	const steps = `steps:
  - {name: bad, command: ["false"], cache: false}
  - {name: after-bad, command: ["true"], after: [bad], cache: false}
  - {name: slow, command: [sleep, "3"], cache: false}
`
	r := runToEnd(t, s, "name: cont\non_failure: continue\n"+steps)
	assert.Equal(t, pipeline.RunFailed, r.State)
	assert.Equal(t, map[string]pipeline.StepState{"bad": pipeline.StepFailed, "after-bad": pipeline.StepSkipped, "slow": pipeline.StepSucceeded}, states(r))

	r = runToEnd(t, s, "name: stop\n"+steps)
	assert.Equal(t, pipeline.RunFailed, r.State)
	assert.Equal(t, map[string]pipeline.StepState{"bad": pipeline.StepFailed, "after-bad": pipeline.StepSkipped, "slow": pipeline.StepCancelled}, states(r))
	assert.Contains(t, r.Message, "failed steps: bad")
}
