package config

import (
	"reflect"
	"strings"
	"time"
)

// JSONSchema describes the YAML configuration file as a JSON Schema object (draft 7 subset: type, properties,
// items, description, additionalProperties false), so a deployment tool can reject a typo before kamld starts.
// Secret keys and the keys named in omit (YAML paths such as "grpc_addr") are left out: the Helm chart sets
// those itself or takes them from Kubernetes Secrets.
func JSONSchema(omit ...string) map[string]any {
	skip := map[string]bool{}
	for _, p := range omit {
		skip[p] = true
	}
	root := object()
	for _, k := range keys() {
		if k.secret || skip[k.path] {
			continue
		}
		parts := strings.Split(k.path, ".")
		node := root
		for _, p := range parts[:len(parts)-1] {
			props := node["properties"].(map[string]any)
			child, ok := props[p].(map[string]any)
			if !ok {
				child = object()
				props[p] = child
			}
			node = child
		}
		node["properties"].(map[string]any)[parts[len(parts)-1]] = leafSchema(k)
	}
	return root
}

func object() map[string]any {
	return map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{}}
}

func leafSchema(k key) map[string]any {
	s := map[string]any{"description": k.help}
	switch {
	case k.kind == reflect.TypeFor[time.Duration]():
		s["type"], s["pattern"] = "string", `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	case k.kind.Kind() == reflect.Bool:
		s["type"] = "boolean"
	case k.kind.Kind() == reflect.Int, k.kind.Kind() == reflect.Int64:
		s["type"] = "integer"
	case k.kind.Kind() == reflect.Slice:
		s["type"], s["items"] = "array", map[string]any{"type": "string"}
	default:
		s["type"] = "string"
	}
	return s
}
