package resource

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The fuzz targets check the properties the rest of kamld relies on, for any input: no panic; whatever is
// accepted is canonical (renders back to the same text) and cannot escape its dataset. Corpora are checked in
// under testdata/fuzz.

func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"a/b.csv", "../x", "/abs", "a\x00b", "e\u0301", "a\u202eb", "données/été.csv", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if ValidatePath(p) != nil {
			return
		}
		if !utf8.ValidString(p) || !norm.NFC.IsNormalString(p) {
			t.Fatalf("accepted non-canonical %q", p)
		}
		if strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") || strings.ContainsAny(p, "\x00\\") {
			t.Fatalf("accepted %q", p)
		}
		for seg := range strings.SplitSeq(p, "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("accepted traversal %q", p)
			}
		}
	})
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"", "draft", "v1", "v007", "4f2a9c", "prod", "v", "abcdef0123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		if r.String() != s {
			t.Fatalf("ParseRef(%q).String() = %q", s, r.String())
		}
		if r.Kind == RefTag && ValidateTagID(s) != nil {
			t.Fatalf("tag %q accepted as ref but not as tag id", s)
		}
	})
}

func FuzzParseShortRef(f *testing.F) {
	for _, s := range []string{"iris", "iris@v3/train.csv", "iris/../x", "iris@draft/a/", "a@b@c", "x@v0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sr, err := ParseShortRef(s)
		if err != nil {
			return
		}
		if sr.String() != s {
			t.Fatalf("ParseShortRef(%q).String() = %q", s, sr.String())
		}
		if ValidateDatasetID(sr.Dataset) != nil || ValidatePrefix(sr.Path) != nil {
			t.Fatalf("accepted invalid parts in %q", s)
		}
	})
}

func FuzzValidateDatasetID(f *testing.F) {
	for _, s := range []string{"iris", "Iris", "a-", "a--b", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateDatasetID(s) != nil {
			return
		}
		if len(s) > MaxIDLength || strings.ContainsAny(s, "/@.\\ ") || strings.ToLower(s) != s {
			t.Fatalf("accepted %q", s)
		}
	})
}
