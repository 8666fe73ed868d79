package pipeline

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// noJobs accepts every job: the fuzz target checks the pipeline layer alone.
type noJobs struct{}

func (noJobs) Check(JobSpec) []Violation                             { return nil }
func (noJobs) Image(context.Context, JobSpec) (string, error)        { return "host", nil }
func (noJobs) Submit(context.Context, string, JobSpec, string) error { return nil }
func (noJobs) Status(context.Context, string) (JobStatus, error) {
	return JobStatus{}, apierr.ErrNotFound
}
func (noJobs) Cancel(context.Context, string, string) error        { return nil }
func (noJobs) ExportedEnv(context.Context, string) ([]byte, error) { return nil, apierr.ErrNotFound }
func (noJobs) Ended() <-chan struct{}                              { return nil }
func (noJobs) Instance() string                                    { return "test" }

// FuzzCompile: any bytes parse and validate to a pipeline or to INVALID_ARGUMENT with field violations,
// never a panic or another error; a valid pipeline's order holds every step once, after its dependencies.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"name: a\nsteps:\n  - name: x\n    command: [echo, hi]\n",
		"name: a\nparameters: {p: 1}\nsteps:\n  - {name: x, command: [echo, '{{ params.p }}'], outputs: {o: ds}}\n  - {name: y, command: [cat], inputs: {i: steps.x.outputs.o}}\n",
		"name: a\nsteps:\n  - {name: x, command: [echo], after: [y]}\n  - {name: y, command: [echo], after: [x]}\n",
		"name: a\nsteps:\n  - {name: x, notebook: n.ipynb, retries: 2, timeout: 1h, cache: false}\n",
		"{\"name\": \"j\", \"steps\": [{\"name\": \"x\", \"command\": [\"true\"], \"retries\": {\"limit\": 1, \"on_exit_codes\": [3]}}]}",
		"name: a\nsteps: []\n", "", "- 1\n", "name: [\n",
	} {
		f.Add([]byte(s))
	}
	files := Sources{Attached: map[string][]byte{"n.ipynb": []byte("{}")}}
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := compile(src, nil, files, noJobs{})
		if err != nil {
			var e *apierr.Error
			require.True(t, errors.As(err, &e), "%T %v", err, err)
			require.NotEmpty(t, e.Violations)
			return
		}
		pos := map[string]int{}
		for i, st := range c.order {
			_, seen := pos[st.Name]
			require.False(t, seen)
			pos[st.Name] = i
		}
		require.Len(t, pos, len(c.steps))
		for _, st := range c.order {
			for _, d := range st.deps {
				require.Less(t, pos[d], pos[st.Name])
			}
		}
	})
}
