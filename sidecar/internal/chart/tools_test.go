package chart

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kamld/kamld/sidecar/internal/testserver/proc"
)

// release and namespace name every rendering, so golden files and applied objects agree.
const (
	release   = "kamld"
	namespace = "kamld"
)

// repoRoot is the checkout's top directory.
func repoRoot() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "..")
}

func chartDir() string { return filepath.Join(repoRoot(), "charts", "kamld") }

// tool finds an installed chart tool ($KAMLD_HELM_BIN, or helm in ~/.cache/kamld/bin), skipping tb when it is
// missing outside CI.
func tool(tb testing.TB, name string) string {
	tb.Helper()
	path, err := proc.CachePath("KAMLD_"+strings.ToUpper(name)+"_BIN", "bin", name)
	if err == nil && !proc.IsExecutable(path) {
		err = fmt.Errorf("%s not installed at %s: run scripts/install-chart-tools.sh (make chart-tools)", name, path)
	}
	if err != nil {
		proc.SkipOrFail(tb, err)
	}
	return path
}

// run runs a tool and returns its stdout, or an error carrying its stderr.
func run(tb testing.TB, bin string, stdin []byte, args ...string) ([]byte, error) {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot()
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// helm keeps its caches and config under HOME's XDG directories; a test must not touch the user's.
	dir := tb.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+dir, "HELM_CONFIG_HOME="+dir, "HELM_DATA_HOME="+dir)
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%s %s: %w\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, errb.String(), out.String())
	}
	return out.Bytes(), nil
}

// render is `helm template` of the chart with the given values files and --set flags.
func render(tb testing.TB, values []string, sets ...string) ([]byte, error) {
	tb.Helper()
	args := []string{"template", release, chartDir(), "--namespace", namespace}
	for _, v := range values {
		args = append(args, "--values", v)
	}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return run(tb, tool(tb, "helm"), nil, args...)
}

// presets lists the values files in charts/kamld/ci, the presets `helm lint` and the golden files cover.
func presets(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir(), "ci", "*-values.yaml"))
	if err == nil && len(files) == 0 {
		err = errors.New("no presets in charts/kamld/ci")
	}
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

func presetName(file string) string {
	return strings.TrimSuffix(filepath.Base(file), "-values.yaml")
}
