package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCLIPipeline: plan, run (following to the end), run again from the cache, get, logs, ls and cancel of
// the hello-world example, and a bad pipeline's error naming its step and field.
func TestCLIPipeline(t *testing.T) {
	conn := startServe(t)
	file := "../../../examples/pipelines/hello.yaml"

	out := must(t, conn, "pipeline", "plan", file)
	assert.Contains(t, out, "3 of 3 steps run")
	assert.Contains(t, out, "no earlier successful run of this step")
	assert.Contains(t, out, "note: image host")

	out = must(t, conn, "pipeline", "run", file, "-p", "greeting=Hi")
	run := strings.TrimPrefix(strings.Fields(out)[0], "pipelineRuns/")
	assert.Contains(t, out, "pipelineRuns/"+run+" SUCCEEDED")
	assert.Regexp(t, `last\s+SUCCEEDED`, out)
	assert.Equal(t, "Hi, world!\n", must(t, conn, "pipeline", "logs", run, "last"))

	out = must(t, conn, "pipeline", "run", file, "-p", "greeting=Hi")
	assert.Regexp(t, `first\s+CACHED\s+from pipelineRuns/`+run, out)
	again := strings.TrimPrefix(strings.Fields(out)[0], "pipelineRuns/")
	assert.Equal(t, "Hi, world!\n", must(t, conn, "pipeline", "logs", again, "last"), "a cached step's log is its maker's")
	assert.Contains(t, must(t, conn, "pipeline", "plan", file, "-p", "greeting=Hi"), "0 of 3 steps run, 3 from the cache")
	assert.Contains(t, must(t, conn, "pipeline", "plan", file, "-p", "greeting=Hi", "--rerun-from", "second"), "2 of 3 steps run")

	out = must(t, conn, "pipeline", "get", again)
	assert.Regexp(t, `first\s+CACHED`, out)
	out = must(t, conn, "pipeline", "ls")
	assert.Contains(t, out, run)
	assert.Contains(t, out, "3 cached")
	assert.Contains(t, must(t, conn, "pipeline", "cancel", run), "SUCCEEDED", "a final run is returned unchanged")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: bad\nsteps:\n  - name: a\n    command: [\"true\"]\n    after: [zz]\n"), 0o600))
	out, err := kamld(t, conn, "pipeline", "run", bad)
	require.Error(t, err)
	assert.Contains(t, err.Error()+out, "steps.a.after[0]")
	_, err = kamld(t, conn, "pipeline", "get", "nosuch")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not found")
}
