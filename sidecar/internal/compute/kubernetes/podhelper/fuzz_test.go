package podhelper_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/podhelper"
)

// FuzzParseManifest: whatever the bytes, parsing never panics, and every path of an accepted manifest stays
// inside the work directory.
func FuzzParseManifest(f *testing.F) {
	for _, seed := range []string{
		`{"run":{"Job":"j","Attempt":1},"files":[{"Path":"a.py","Content":"cHJpbnQoMSk=","Executable":true}]}`,
		`{"inputs":[{"Dataset":"iris","Snapshot":"abc","Path":"data"}],"outputs":[{"Path":"out","Dataset":"model"}]}`,
		`{"files":[{"Path":"../x"}]}`,
		`{"outputs":[{"Path":"/etc"}]}`,
		`{"inputs":[{"Path":"a/./b"}]}`,
		`{}`, `null`, `[`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := podhelper.ParseManifest(raw)
		if err != nil {
			return
		}
		var paths []string
		for _, x := range m.Files {
			paths = append(paths, x.Path)
		}
		for _, x := range m.Inputs {
			paths = append(paths, x.Path)
		}
		for _, x := range m.Outputs {
			paths = append(paths, x.Path)
		}
		for _, p := range paths {
			joined := filepath.Join("/work", filepath.FromSlash(p))
			if joined == "/work" || !strings.HasPrefix(joined, "/work/") {
				t.Fatalf("accepted path %q escapes or is the work directory: %s", p, joined)
			}
		}
	})
}
