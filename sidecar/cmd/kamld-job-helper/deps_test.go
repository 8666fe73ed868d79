package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoCgoDependencies guards what makes the helper copyable into any image: no package it links, outside
// the standard library, uses cgo (DuckDB does, through package wiring), and it does not pull in the
// Kubernetes client either. `make helper` checks the built binary itself; this catches an import that
// would break it while running the ordinary Go tests.
func TestNoCgoDependencies(t *testing.T) {
	// `go test` puts its own go command first on the test's PATH.
	out, err := exec.Command("go", "list", "-deps",
		"-f", "{{.ImportPath}} {{if not .Standard}}{{len .CgoFiles}}{{else}}0{{end}}", ".").CombinedOutput()
	require.NoError(t, err, string(out))
	var cgo, forbidden []string
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, line := range lines {
		path, n, _ := strings.Cut(line, " ")
		if n != "0" {
			cgo = append(cgo, path)
		}
		if strings.HasPrefix(path, "k8s.io/") || strings.Contains(path, "/internal/wiring") && !strings.HasSuffix(path, "/blobwiring") {
			forbidden = append(forbidden, path)
		}
	}
	assert.Contains(t, lines, "github.com/kamld/kamld/sidecar/internal/wiring/blobwiring 0", "the helper opens stores through blobwiring")
	assert.Empty(t, cgo, "packages with cgo files in the helper")
	assert.Empty(t, forbidden, "the helper needs neither the Kubernetes client nor the full wiring")
}
