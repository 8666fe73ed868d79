package podhelper_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/computetest"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/podhelper"
)

func TestManifestPathsStayInsideTheWorkDirectory(t *testing.T) {
	for _, bad := range []string{
		`{"files":[{"path":"../escape","content":""}]}`,
		`{"inputs":[{"dataset":"d","snapshot":"s","path":"/abs"}]}`,
		`{"outputs":[{"path":"a/../../b","dataset":"d"}]}`,
		`{"unknown":1}`,
	} {
		path := filepath.Join(t.TempDir(), "m.json")
		require.NoError(t, os.WriteFile(path, []byte(bad), 0o600))
		_, err := podhelper.ReadManifest(path)
		assert.Error(t, err, bad)
	}
}

func TestFetchAndStore(t *testing.T) {
	data := computetest.NewMemData()
	snap := data.Seed("iris", map[string]string{"a.csv": "1,2\n", "sub/b.csv": "3,4\n"})
	m := podhelper.Manifest{
		Files:   []compute.File{{Path: "train.sh", Content: []byte("#!/bin/sh\n"), Executable: true}},
		Inputs:  []compute.Input{{Dataset: "iris", Snapshot: snap, Path: "data"}},
		Outputs: []compute.Output{{Path: "out", Dataset: "model"}},
	}
	work := t.TempDir()
	require.NoError(t, podhelper.Fetch(t.Context(), m, work, data))
	got, err := os.ReadFile(filepath.Join(work, "data", "sub", "b.csv"))
	require.NoError(t, err)
	assert.Equal(t, "3,4\n", string(got))
	fi, err := os.Stat(filepath.Join(work, "train.sh"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())
	assert.DirExists(t, filepath.Join(work, "out"), "output folders exist before the command")

	require.NoError(t, os.WriteFile(filepath.Join(work, "out", "w.bin"), []byte("weights"), 0o644))
	require.NoError(t, podhelper.Store(t.Context(), m, work, data))
	assert.Equal(t, map[string]string{"w.bin": "weights"}, data.Draft("model"))
}

func TestFetchWithoutStoreFailsClearly(t *testing.T) {
	m := podhelper.Manifest{Outputs: []compute.Output{{Path: "out", Dataset: "model"}}}
	err := podhelper.Fetch(t.Context(), m, t.TempDir(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "store_secret")
}

func TestExecRunsWithoutAShellAndReportsTheExitCode(t *testing.T) {
	var out bytes.Buffer
	code, err := podhelper.Exec(t.Context(), []string{"echo", "$HOME;", "`id`"}, t.TempDir(), nil, &out, &out)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.Equal(t, "$HOME; `id`\n", out.String(), "arguments reach the program verbatim")

	code, err = podhelper.Exec(t.Context(), []string{"sh", "-c", "exit 7"}, t.TempDir(), nil, &out, &out)
	require.NoError(t, err)
	assert.Equal(t, 7, code)

	code, err = podhelper.Exec(t.Context(), []string{"sh", "-c", "kill -TERM $$"}, t.TempDir(), nil, &out, &out)
	require.NoError(t, err)
	assert.Equal(t, 128+15, code, "a command ended by a signal exits 128+signal, as a shell reports it")

	code, err = podhelper.Exec(t.Context(), []string{"/no/such/program"}, t.TempDir(), nil, &out, &out)
	assert.Error(t, err)
	assert.Equal(t, 127, code)
}

func TestChildEnvDropsTheStoreConfiguration(t *testing.T) {
	env := podhelper.ChildEnv([]string{
		"PATH=/bin", "KAMLD_BLOB_S3_SECRET_KEY=s3cr3t", "KAMLD_BLOB_BACKEND=s3", "KAMLD_JOB=j1", "KAMLD_ATTEMPT=1",
		"KAMLD_WORKDIR=/work", "LR=0.1",
	})
	assert.Equal(t, []string{"PATH=/bin", "KAMLD_JOB=j1", "KAMLD_ATTEMPT=1", "KAMLD_WORKDIR=/work", "LR=0.1"}, env)
}
