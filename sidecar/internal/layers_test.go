// Package internal_test holds checks on how the sidecar's packages depend on each other.
package internal_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const genPath = "github.com/kamld/kamld/sidecar/gen"

// apiLayer reports whether a package (its directory relative to sidecar/internal) belongs to the API layer,
// which maps generated API types to the domain: the servers and their interceptors, the *svc packages, the
// error mapping (apierr) and the generic request checks (validation). Test-support packages (…test) drive
// the API as a client does.
func apiLayer(dir string) bool {
	base := filepath.Base(dir)
	return dir == "server" || strings.HasPrefix(dir, "server/") || strings.HasSuffix(base, "svc") ||
		dir == "apierr" || dir == "validation" || strings.HasSuffix(base, "test")
}

// notYet are domain packages that still use generated types, with why; the list only shrinks.
var notYet = map[string]string{
	"job": "the job record persisted in the store is a kamld.v1.Job; moving it needs a domain type and a stored-format migration",
}

// TestDomainPackagesDoNotImportTheAPI is the layering rule (docs/architecture-layers.md): a domain package
// does not import the generated API types (sidecar/gen); its *svc package maps between the two.
func TestDomainPackagesDoNotImportTheAPI(t *testing.T) {
	offenders := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if apiLayer(dir) {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == genPath || strings.HasPrefix(p, genPath+"/") {
				offenders[dir] = append(offenders[dir], path)
			}
		}
		return nil
	})
	require.NoError(t, err)
	var got []string
	for dir, files := range offenders {
		if _, ok := notYet[dir]; !ok {
			t.Errorf("domain package %s imports %s (in %s): map API types in a *svc package instead", dir, genPath, strings.Join(files, ", "))
		}
		got = append(got, dir)
	}
	for dir := range notYet {
		assert.Contains(t, got, dir, "%s no longer imports the API: remove it from notYet", dir)
	}
	sort.Strings(got)
	t.Logf("domain packages still importing the API: %v", got)
}
