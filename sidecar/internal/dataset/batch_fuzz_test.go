package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"github.com/kamld/kamld/sidecar/internal/resource"
)

// FuzzCheckBatchFile: the check of a batch file never panics, names only the file's own fields (or "files"),
// accepts exactly the files a batch may store — a valid path not seen before, content within the limit, a
// media type and an expected digest that hold — and returns the content's real digest.
func FuzzCheckBatchFile(f *testing.F) {
	f.Add(0, "a/b.txt", []byte("x"), "", "", "a/c")
	f.Add(3, "a/b.txt", []byte("x"), "sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881", "text/plain", "a/b.txt")
	f.Add(9999, "../x", []byte{}, "sha256:XYZ", "nota type", "")
	f.Add(10000, "/abs", []byte("\x00"), "md5:1", "a/b", "x")
	f.Fuzz(func(t *testing.T, i int, path string, content []byte, digest, mediaType, earlier string) {
		if i < 0 || i > 2*MaxBatchFiles {
			i = 0
		}
		seen := map[string]int{}
		if earlier != "" {
			seen[earlier] = 0
		}
		got, v := CheckBatchFile(i, BatchFile{Path: path, Content: content, ExpectedDigest: digest, MediaType: mediaType}, seen)
		sum := sha256.Sum256(content)
		if want := "sha256:" + hex.EncodeToString(sum[:]); got != want {
			t.Fatalf("digest %s, want %s", got, want)
		}
		own := "files[" + strconv.Itoa(i) + "]."
		for _, x := range v {
			if x.Field != "files" && !strings.HasPrefix(x.Field, own) {
				t.Fatalf("violation of another field: %q", x.Field)
			}
			if x.Description == "" {
				t.Fatalf("violation of %s says nothing", x.Field)
			}
		}
		valid := resource.ValidatePath(path) == nil && path != earlier && len(content) <= MaxBatchFileBytes && i < MaxBatchFiles &&
			(mediaType == "" || (len(mediaType) <= MaxMediaTypeBytes && mediaTypeRE.MatchString(mediaType))) &&
			(digest == "" || digest == got)
		if valid != (len(v) == 0) {
			t.Fatalf("valid=%v but violations %v", valid, v)
		}
		if valid && seen[path] != i {
			t.Fatalf("an accepted path is not remembered for the duplicate check")
		}
		if _, v2 := CheckBatchFile(i+1, BatchFile{Path: path}, seen); valid && len(v2) == 0 {
			t.Fatalf("the same path twice in one batch was accepted")
		}
	})
}
