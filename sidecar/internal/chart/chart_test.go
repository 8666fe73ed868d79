package chart

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/kamld/kamld/sidecar/internal/config"
)

// update rewrites the golden files and the generated part of values.schema.json (make chart-golden).
var update = flag.Bool("update", false, "rewrite golden files and values.schema.json's config schema")

// chartOwnedKeys are configuration keys the chart sets itself (listen addresses from `ports`, the data
// directory on its volume, the token from `auth`); values.schema.json leaves them out of `config`.
var chartOwnedKeys = []string{"grpc_addr", "http_addr", "data_dir", "token_file", "ready_file"}

func TestLintStrict(t *testing.T) {
	helm := tool(t, "helm")
	out, err := run(t, helm, nil, "lint", "--strict", chartDir())
	require.NoError(t, err, "default values")
	assert.Contains(t, string(out), "0 chart(s) failed")
	for _, p := range presets(t) {
		_, err := run(t, helm, nil, "lint", "--strict", chartDir(), "--values", p)
		assert.NoError(t, err, presetName(p))
	}
}

// TestGolden renders every preset and compares it with tests/golden/<preset>.yaml.
func TestGolden(t *testing.T) {
	for _, p := range presets(t) {
		got, err := render(t, []string{p})
		require.NoError(t, err)
		golden := filepath.Join(chartDir(), "tests", "golden", presetName(p)+".yaml")
		if *update {
			require.NoError(t, os.WriteFile(golden, got, 0o644))
			continue
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err, "run make chart-golden")
		assert.Equal(t, string(want), string(got), "%s differs from the chart's rendering: review, then make chart-golden", golden)
	}
}

// TestTyposRejected renders each fixture in tests/typos and wants helm to fail naming the value, which the
// fixture's first line gives as "# want: <text>".
func TestTyposRejected(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(chartDir(), "tests", "typos", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			want := fixtureWant(t, f)
			_, err := render(t, []string{f})
			require.Error(t, err, "helm accepted %s", f)
			assert.Contains(t, err.Error(), want)
		})
	}
}

func fixtureWant(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	want, ok := strings.CutPrefix(strings.TrimSpace(line), "# want: ")
	require.True(t, ok, "%s: first line must be '# want: <text of the error>'", path)
	return want
}

// TestSchemaConfigIsKamldConfig checks that the schema of the `config` value is the schema of kamld's own
// configuration file (sidecar/internal/config), less the keys the chart owns and the secrets: a key kamld
// gains or loses shows up here.
func TestSchemaConfigIsKamldConfig(t *testing.T) {
	path := filepath.Join(chartDir(), "values.schema.json")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(raw, &schema))
	props := schema["properties"].(map[string]any)
	want := roundTrip(t, config.JSONSchema(chartOwnedKeys...))
	want["description"] = "kamld's own configuration file (`kamld config` prints it); generated from sidecar/internal/config"
	if *update {
		props["config"] = want
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		require.NoError(t, enc.Encode(schema))
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
		return
	}
	assert.Equal(t, want, props["config"], "values.schema.json's config is stale: make chart-golden")
}

// TestChartVersionIsRelease keeps Chart.yaml's version and appVersion on the repository's VERSION.
func TestChartVersionIsRelease(t *testing.T) {
	v, err := os.ReadFile(filepath.Join(repoRoot(), "VERSION"))
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(chartDir(), "Chart.yaml"))
	require.NoError(t, err)
	var c struct{ Version, AppVersion string }
	require.NoError(t, yaml.Unmarshal(raw, &c))
	assert.Equal(t, strings.TrimSpace(string(v)), c.Version)
	assert.Equal(t, strings.TrimSpace(string(v)), c.AppVersion)
}

func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}
