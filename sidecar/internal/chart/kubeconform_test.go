package chart

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// kubeVersion is the Kubernetes release whose OpenAPI document the schemas come from: the one
// scripts/install-kube-apiserver.sh builds, so kubeconform and the server-side apply judge the same API.
const kubeVersion = "v1.37.2"

// TestKubeconform validates every preset's objects against the Kubernetes API's schemas, strictly (an unknown
// field fails). ServiceMonitor is a Prometheus Operator CRD, not in the Kubernetes API: it is skipped here.
func TestKubeconform(t *testing.T) {
	kc := tool(t, "kubeconform")
	dir := kubeSchemas(t)
	for _, p := range presets(t) {
		manifest, err := render(t, []string{p})
		require.NoError(t, err)
		out, err := run(t, kc, manifest, "-strict", "-summary", "-skip", "ServiceMonitor",
			"-schema-location", filepath.Join(dir, "{{ .ResourceKind }}{{ .KindSuffix }}.json"), "-")
		require.NoError(t, err, presetName(p))
		require.Contains(t, string(out), "Invalid: 0, Errors: 0", presetName(p))
	}
}

// TestKubeconformCatchesAnUnknownField proves the generated schemas are strict: a misspelt field of an
// environment variable (which the chart's own schema lets through as free-form) fails kubeconform.
func TestKubeconformCatchesAnUnknownField(t *testing.T) {
	kc := tool(t, "kubeconform")
	dir := kubeSchemas(t)
	manifest, err := render(t, nil, "extraEnv[0].name=X", "extraEnv[0].vaule=Y", "resources.limits.memory=1Gi")
	require.NoError(t, err)
	out, err := run(t, kc, manifest, "-strict", "-schema-location", filepath.Join(dir, "{{ .ResourceKind }}{{ .KindSuffix }}.json"), "-")
	require.Error(t, err)
	require.Contains(t, err.Error()+string(out), "vaule")
}

// kubeSchemas writes one standalone, strict JSON Schema per kind of the Kubernetes API into a temporary
// directory, named as kubeconform looks them up (deployment-apps-v1.json), from api/openapi-spec/swagger.json
// of the k8s.io/kubernetes module in the Go module cache (no network when the kube-apiserver is installed).
func kubeSchemas(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(swaggerPath(t))
	require.NoError(t, err)
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	for _, def := range doc.Definitions {
		strict(def)
	}
	dir := t.TempDir()
	for name, def := range doc.Definitions {
		gvks, _ := def["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			gvk := g.(map[string]any)
			file := schemaFileName(gvk["group"].(string), gvk["version"].(string), gvk["kind"].(string))
			schema := map[string]any{"definitions": closure(doc.Definitions, name)}
			for k, v := range def {
				schema[k] = v
			}
			b, err := json.Marshal(schema)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, file), b, 0o644))
		}
	}
	return dir
}

// schemaFileName is kubeconform's {{ .ResourceKind }}{{ .KindSuffix }}.json: the kind in lower case, the first
// label of the group (none for the core group) and the version.
func schemaFileName(group, version, kind string) string {
	suffix := "-" + version
	if group != "" {
		suffix = "-" + strings.Split(group, ".")[0] + suffix
	}
	return strings.ToLower(kind) + suffix + ".json"
}

// strict rewrites a definition in place: objects with properties accept no others, and the two string types
// that YAML also writes as numbers (int-or-string, quantities) accept both.
func strict(s map[string]any) {
	if s["format"] == "int-or-string" || s["$ref"] == "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity" {
		delete(s, "$ref")
		delete(s, "type")
		delete(s, "format")
		s["oneOf"] = []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}
		return
	}
	if props, ok := s["properties"].(map[string]any); ok {
		if _, set := s["additionalProperties"]; !set {
			s["additionalProperties"] = false
		}
		for _, p := range props {
			strict(p.(map[string]any))
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		strict(items)
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		strict(ap)
	}
}

// closure returns the definitions that name refers to, directly or not.
func closure(defs map[string]map[string]any, name string) map[string]any {
	out := map[string]any{}
	var visit func(v any)
	visit = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				n := strings.TrimPrefix(ref, "#/definitions/")
				if _, seen := out[n]; !seen {
					out[n] = defs[n]
					visit(defs[n])
				}
			}
			for _, c := range x {
				visit(c)
			}
		case []any:
			for _, c := range x {
				visit(c)
			}
		}
	}
	visit(defs[name])
	return out
}

// swaggerPath finds the OpenAPI document of kubeVersion in the module cache, downloading the module when the
// cache lacks it.
func swaggerPath(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", "k8s.io/kubernetes@"+kubeVersion)
	cmd.Dir = t.TempDir() // outside the main module: its go.mod does not require k8s.io/kubernetes
	out, err := cmd.Output()
	require.NoError(t, err, "go mod download k8s.io/kubernetes@%s", kubeVersion)
	var mod struct{ Dir, Error string }
	require.NoError(t, json.Unmarshal(out, &mod))
	require.Empty(t, mod.Error)
	path := filepath.Join(mod.Dir, "api", "openapi-spec", "swagger.json")
	_, err = os.Stat(path)
	require.NoError(t, err, fmt.Sprintf("OpenAPI document of Kubernetes %s", kubeVersion))
	return path
}
