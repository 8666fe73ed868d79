package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/podhelper"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
	"github.com/kamld/kamld/sidecar/internal/wiring/blobwiring"
)

// storeEnvs configure each object store through KAMLD_BLOB_* variables, as the store Secret does in a Pod:
// a local directory, and a real MinIO on loopback.
var storeEnvs = map[string]func(t *testing.T) map[string]string{
	"fs": func(t *testing.T) map[string]string {
		return map[string]string{"KAMLD_BLOB_BACKEND": "fs", "KAMLD_BLOB_FS_DIR": t.TempDir()}
	},
	"s3": func(t *testing.T) map[string]string {
		srv := minio.Start(t)
		return map[string]string{
			"KAMLD_BLOB_BACKEND": "s3", "KAMLD_BLOB_S3_ENDPOINT": srv.Endpoint, "KAMLD_BLOB_S3_BUCKET": "runs",
			"KAMLD_BLOB_S3_ACCESS_KEY": srv.AccessKey, "KAMLD_BLOB_S3_SECRET_KEY": srv.SecretKey,
		}
	},
}

// TestJobHelperFetchRunStore plays a Kubernetes run's Pod on this machine, on each object store:
// `kamld-job-helper fetch` (the init container) reads an input snapshot from a real store configured through
// KAMLD_BLOB_* variables and installs the binary; `kamld-job-helper run` runs the command without a shell,
// without the store's variables, and stores its output into the dataset's draft.
func TestJobHelperFetchRunStore(t *testing.T) {
	for name, env := range storeEnvs {
		t.Run(name, func(t *testing.T) {
			for k, v := range env(t) {
				t.Setenv(k, v)
			}
			fetchRunStore(t, openEngine(t))
		})
	}
}

// openEngine opens the store the environment configures, the way the helper does.
func openEngine(t *testing.T) *dataset.Engine {
	t.Helper()
	cfg, err := config.Load(nil, os.Environ())
	require.NoError(t, err)
	store, err := blobwiring.Store(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	return dataset.New(store)
}

func fetchRunStore(t *testing.T, engine *dataset.Engine) {
	ctx := t.Context()
	for _, id := range []string{"iris", "model"} {
		_, err := engine.CreateDataset(ctx, id, dataset.Metadata{})
		require.NoError(t, err)
	}
	_, err := engine.WriteFile(ctx, "iris", "train.csv", strings.NewReader("a,b\n1,2\n"), dataset.WriteOptions{})
	require.NoError(t, err)
	snap, err := engine.CreateSnapshot(ctx, "iris", dataset.SnapshotOptions{Message: "v1"})
	require.NoError(t, err)

	work, helperDir := t.TempDir(), t.TempDir()
	manifest := filepath.Join(helperDir, "manifest.json")
	writeJSON(t, manifest, podhelper.Manifest{
		Run:     compute.RunID{Job: "j1", Attempt: 1},
		Files:   []compute.File{{Path: "cfg.txt", Content: []byte("lr=0.1\n")}},
		Inputs:  []compute.Input{{Dataset: "iris", Snapshot: snap.ID, Path: "data"}},
		Outputs: []compute.Output{{Path: "out", Dataset: "model"}},
	})
	termLog := filepath.Join(helperDir, "termination-log")
	common := []string{"--manifest", manifest, "--workdir", work, "--termination-log", termLog}
	installed := filepath.Join(helperDir, "bin", "kamld-job-helper")
	must(t, append([]string{"fetch", "--install", installed}, common...)...)
	fi, err := os.Stat(installed)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), "the binary is installed for the run container")

	// The command sees its inputs and files, and not the store's configuration.
	script := `cat data/train.csv cfg.txt > out/seen.txt; env | grep -c '^KAMLD_BLOB' > out/store-vars.txt; true`
	must(t, append(append([]string{"run"}, common...), "--", "sh", "-c", script)...)
	assert.Equal(t, map[string]string{"seen.txt": "a,b\n1,2\nlr=0.1\n", "store-vars.txt": "0\n"}, draft(t, engine, "model"))
	assert.NoFileExists(t, termLog, "nothing failed")
}

func TestJobHelperReportsInputsFailed(t *testing.T) {
	t.Setenv("KAMLD_BLOB_BACKEND", "fs")
	t.Setenv("KAMLD_BLOB_FS_DIR", t.TempDir())
	dir := t.TempDir()
	manifest := filepath.Join(dir, "manifest.json")
	writeJSON(t, manifest, podhelper.Manifest{Inputs: []compute.Input{{Dataset: "nope", Snapshot: strings.Repeat("0", 64), Path: "data"}}})
	termLog := filepath.Join(dir, "termination-log")
	out, err := helper(t, "fetch", "--manifest", manifest, "--workdir", t.TempDir(), "--termination-log", termLog)
	require.Error(t, err, out)
	msg, err := os.ReadFile(termLog)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(msg), compute.ReasonInputsFailed+": "), string(msg))
	assert.Contains(t, string(msg), "nope")
}

// helper runs the command line in-process, as the binary would.
func helper(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := helper(t, args...)
	require.NoError(t, err, "kamld-job-helper %s: %s", strings.Join(args, " "), out)
	return out
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

// draft reads every file of a dataset's draft.
func draft(t *testing.T, e *dataset.Engine, id string) map[string]string {
	t.Helper()
	list, err := e.ListFiles(t.Context(), id, "draft", dataset.ListFilesOptions{Recursive: true})
	require.NoError(t, err)
	out := map[string]string{}
	for _, f := range list.Files {
		rc, _, err := e.OpenFile(t.Context(), id, "draft", f.Path, 0, 0)
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		out[f.Path] = string(b)
	}
	return out
}

// TestJobHelperCarriesExportedEnv: the command finds the export file through $KAMLD_EXPORT_ENV (kept from the
// store's KAMLD_* variables being dropped), and after it exits 0 the helper writes the file's content to the
// termination log; a file larger than a termination message holds fails the run with OutputsFailed.
func TestJobHelperCarriesExportedEnv(t *testing.T) {
	t.Setenv("KAMLD_EXPORT_ENV", ".kamld-export.env")
	dir := t.TempDir()
	manifest := filepath.Join(dir, "manifest.json")
	writeJSON(t, manifest, podhelper.Manifest{Run: compute.RunID{Job: "j1", Attempt: 1}, Export: ".kamld-export.env"})
	termLog := filepath.Join(dir, "termination-log")
	common := []string{"run", "--manifest", manifest, "--workdir", t.TempDir(), "--termination-log", termLog, "--", "sh", "-c"}

	must(t, append(common, `echo 'MESSAGE=Hello, world!' >> "$KAMLD_EXPORT_ENV"`)...)
	msg, err := os.ReadFile(termLog)
	require.NoError(t, err)
	export, ok := podhelper.ExportFromMessage(string(msg))
	require.True(t, ok, string(msg))
	assert.Equal(t, "MESSAGE=Hello, world!\n", string(export))

	big := `head -c 5000 /dev/zero | tr '\0' x | sed 's/^/A=/' > "$KAMLD_EXPORT_ENV"`
	out, err := helper(t, append(common, big)...)
	require.Error(t, err, out)
	msg, err = os.ReadFile(termLog)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(msg), compute.ReasonOutputsFailed+": "), string(msg))
	assert.Contains(t, string(msg), "is 5002 bytes; on Kubernetes at most 4082 bytes")
}
