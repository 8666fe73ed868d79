package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeTree writes n files of random bytes (sizes around the small-file cut, and one over a chunk) under
// dir in nested folders and returns their digests by slash path.
func writeTree(t *testing.T, dir string, n int) map[string]string {
	t.Helper()
	want := map[string]string{}
	for i := range n {
		rel := fmt.Sprintf("d%d/e%d/f%03d.bin", i%7, i%3, i)
		size := []int{0, 1, 4096, smallFile, smallFile + 1}[i%5]
		if i == n-1 {
			size = 3*copyChunk + 17
		}
		data := make([]byte, size)
		_, _ = rand.Read(data)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, rel), data, 0o644))
		sum := sha256.Sum256(data)
		want[rel] = hex.EncodeToString(sum[:])
	}
	return want
}

func digestTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		rel, err := filepath.Rel(dir, p)
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		got[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	}))
	return got
}

// A parallel recursive upload stores exactly the files it was given, byte for byte: read back from the
// draft, the tree has the same paths and digests.
func TestCopyRecursiveParallelExact(t *testing.T) {
	conn := startServe(t)
	src := t.TempDir()
	want := writeTree(t, src, 240)
	must(t, conn, "datasets", "create", "many")
	must(t, conn, "cp", "-r", "-j", "8", src, "many/in/")
	back := filepath.Join(t.TempDir(), "out")
	must(t, conn, "cp", "-r", "many@draft/in/", back)
	assert.Equal(t, want, digestTree(t, back))
}

// A bad small file refuses its whole batch (all or nothing), named in the error with the count; the large
// files, streamed one by one beside the batches, are stored.
func TestCopyRecursiveReportsFailedFiles(t *testing.T) {
	conn := startServe(t)
	src := t.TempDir()
	all := writeTree(t, src, 40)
	// Walked last ("zz" sorts after "d…"); not in Unicode NFC, so the sidecar refuses the path.
	bad := filepath.Join(src, "zz", "cafe\u0301.txt")
	require.NoError(t, os.MkdirAll(filepath.Dir(bad), 0o755))
	require.NoError(t, os.WriteFile(bad, []byte("x"), 0o644))
	want := map[string]string{}
	for rel, digest := range all {
		if st, err := os.Stat(filepath.Join(src, rel)); err == nil && st.Size() > smallFile {
			want[rel] = digest
		}
	}
	must(t, conn, "datasets", "create", "part")
	out, err := kamld(t, conn, "cp", "-r", src, "part/in/")
	require.Error(t, err, out)
	assert.ErrorContains(t, err, fmt.Sprintf("%d of the 41 files started failed", 41-len(want)))
	assert.ErrorContains(t, err, bad+":")
	assert.ErrorContains(t, err, "InvalidArgument")
	back := filepath.Join(t.TempDir(), "out")
	must(t, conn, "cp", "-r", "part@draft/in/", back)
	assert.Equal(t, want, digestTree(t, back))
}
