package chart

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/kamld/kamld/sidecar/internal/config"
)

const (
	refBegin = "<!-- values-reference:begin (generated from charts/kamld/values.schema.json by make chart-golden) -->\n"
	refEnd   = "<!-- values-reference:end -->"
)

// TestDocsValuesReference keeps the values table of docs/kubernetes.md equal to the one generated from
// values.schema.json and values.yaml: every value is documented, with its type, default and meaning.
func TestDocsValuesReference(t *testing.T) {
	path := filepath.Join(repoRoot(), "docs", "kubernetes.md")
	doc, err := os.ReadFile(path)
	require.NoError(t, err)
	before, rest, ok := strings.Cut(string(doc), refBegin)
	require.True(t, ok, "docs/kubernetes.md lacks the marker %q", refBegin)
	_, after, ok := strings.Cut(rest, refEnd)
	require.True(t, ok, "docs/kubernetes.md lacks the marker %q", refEnd)
	table := valuesTable(t)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(before+refBegin+table+refEnd+after), 0o644))
		return
	}
	assert.Equal(t, table, rest[:len(rest)-len(after)-len(refEnd)], "docs/kubernetes.md's values reference is stale: make chart-golden")
}

func valuesTable(t *testing.T) string {
	raw, err := os.ReadFile(filepath.Join(chartDir(), "values.schema.json"))
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(raw, &schema))
	rawValues, err := os.ReadFile(filepath.Join(chartDir(), "values.yaml"))
	require.NoError(t, err)
	var defaults map[string]any
	require.NoError(t, yaml.Unmarshal(rawValues, &defaults))
	// Under config, a key values.yaml leaves out has kamld's own default.
	var kamldDefaults map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(config.Default().YAML()), &kamldDefaults))
	defaults["config"] = merge(kamldDefaults, defaults["config"].(map[string]any))
	var b strings.Builder
	b.WriteString("| Value | Type | Default | Meaning |\n|---|---|---|---|\n")
	var walk func(prefix string, s map[string]any, def any)
	walk = func(prefix string, s map[string]any, def any) {
		props, _ := s["properties"].(map[string]any)
		if len(props) == 0 || prefix == "resources" {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", prefix, typeOf(s), defaultOf(def), cell(s["description"]))
			return
		}
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		sort.Strings(names)
		defs, _ := def.(map[string]any)
		for _, n := range names {
			key := n
			if prefix != "" {
				key = prefix + "." + n
			}
			walk(key, props[n].(map[string]any), defs[n])
		}
	}
	walk("", schema, defaults)
	return b.String()
}

// merge returns base with over's values laid over it, recursively.
func merge(base, over map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		b, bok := out[k].(map[string]any)
		o, ook := v.(map[string]any)
		if bok && ook {
			out[k] = merge(b, o)
			continue
		}
		out[k] = v
	}
	return out
}

func typeOf(s map[string]any) string {
	switch ty := s["type"].(type) {
	case string:
		return ty
	case []any:
		parts := make([]string, len(ty))
		for i, p := range ty {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, " or ")
	}
	return "any"
}

func defaultOf(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return "`" + strings.ReplaceAll(string(b), "|", `\|`) + "`"
}

func cell(v any) string {
	s, _ := v.(string)
	return strings.ReplaceAll(s, "|", `\|`)
}
