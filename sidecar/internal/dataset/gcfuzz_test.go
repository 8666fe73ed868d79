package dataset

import (
	"strings"
	"testing"
)

// FuzzClassify checks the key parser garbage collection decides deletions with, for any key: no panic; a key
// outside kamld's layout is never a candidate; nothing of a live incarnation but a draft entry of an unnamed
// generation is garbage; a marked blob or chunk is never garbage. The corpus is checked in under
// testdata/fuzz.
func FuzzClassify(f *testing.F) {
	hex := strings.Repeat("ab", 32)
	for _, s := range []string{
		BlobKey("sha256:" + hex), "chunks/sha256/ab/" + hex, "uploads/0123", presignPrefix + "0a0b/meta",
		"datasets/iris/u1/head", "datasets/iris/u1/gens/g1/" + hex, "datasets/iris/u2/seq/1", "gc/sweeps/r-000001",
		"meta/datasets/iris", "blobs/sha256/ab/" + hex + "/data/x", "datasets/iris", "chunks/sha256/ab/AB", "",
	} {
		f.Add(s)
	}
	m := newMarks()
	m.live["iris"] = "u1"
	m.gens["iris"] = map[string]bool{"g1": true}
	m.blobs[hex] = true
	m.chunks[hex] = true
	f.Fuzz(func(t *testing.T, key string) {
		kind, garbage := classify(key, m)
		known := false
		for _, p := range []string{blobPrefix, "chunks/sha256/", uploadPrefix, "datasets/", sweepPrefix, clockPrefix} {
			known = known || strings.HasPrefix(key, p)
		}
		if kind != "" && !known {
			t.Fatalf("%q outside the layout classified as %s", key, kind)
		}
		if garbage && kind == "" {
			t.Fatalf("%q is garbage of no kind", key)
		}
		if rest, ok := strings.CutPrefix(key, "datasets/iris/u1/"); ok && garbage {
			if g, _, _ := strings.Cut(strings.TrimPrefix(rest, "gens/"), "/"); !strings.HasPrefix(rest, "gens/") || g == "g1" {
				t.Fatalf("%q of the live incarnation classified as garbage", key)
			}
		}
		if strings.Contains(key, hex) && (kind == GCBlobs || kind == GCChunks) && garbage {
			t.Fatalf("marked %q classified as garbage", key)
		}
		_ = presignedID(key)
	})
}
