package fs_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/blobtest"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
)

func newStore(t *testing.T, dir string) *fs.Store {
	t.Helper()
	s, err := fs.New(dir)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t, t.TempDir()) })
}

func TestObjectsArePlainFiles(t *testing.T) {
	// Query engines read blobs in place: an object is a file at its key's path with exactly its content.
	dir := t.TempDir()
	s := newStore(t, dir)
	_, err := s.Put(context.Background(), "blobs/ab/cd.parquet", strings.NewReader("PAR1"), blob.PutOptions{})
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "objects", "blobs", "ab", "cd.parquet"))
	require.NoError(t, err)
	require.Equal(t, "PAR1", string(b))
	tmp, err := os.ReadDir(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	require.Empty(t, tmp, "no temporary file is left behind")
}

func TestRewriteChangesVersion(t *testing.T) {
	// Versions are generations: writing the same bytes again still changes the version (no ABA).
	s := newStore(t, t.TempDir())
	ctx := context.Background()
	seen := map[string]bool{}
	for range 50 {
		info, err := s.Put(ctx, "k", strings.NewReader("same"), blob.PutOptions{})
		require.NoError(t, err)
		require.False(t, seen[info.Version], "version %s reused", info.Version)
		seen[info.Version] = true
	}
}

func TestKeyAndFolderConflict(t *testing.T) {
	// The documented limit: a filesystem cannot hold "a" and "a/b" at once.
	s := newStore(t, t.TempDir())
	ctx := context.Background()
	_, err := s.Put(ctx, "a/b", strings.NewReader("x"), blob.PutOptions{})
	require.NoError(t, err)
	_, err = s.Put(ctx, "a", strings.NewReader("x"), blob.PutOptions{})
	require.ErrorIs(t, err, apierr.ErrFailedPrecondition)
	_, err = s.Put(ctx, "a/b/c", strings.NewReader("x"), blob.PutOptions{})
	require.ErrorIs(t, err, apierr.ErrFailedPrecondition)

	// Deleting the last key under a folder removes the folder, so the name is free again.
	require.NoError(t, s.Delete(ctx, "a/b", blob.DeleteOptions{}))
	_, err = s.Put(ctx, "a", strings.NewReader("now a file"), blob.PutOptions{IfNoneMatch: true})
	require.NoError(t, err)
}

func TestEmptyFolderLeftByCrashDoesNotBlockKey(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "objects", "x", "y"), 0o700))
	_, err := s.Put(context.Background(), "x/y", strings.NewReader("v"), blob.PutOptions{IfNoneMatch: true})
	require.NoError(t, err)
}

func TestStaleTempFilesRemovedOnOpen(t *testing.T) {
	dir := t.TempDir()
	newStore(t, dir)
	stale, fresh := filepath.Join(dir, "tmp", "put-stale"), filepath.Join(dir, "tmp", "put-fresh")
	require.NoError(t, os.WriteFile(stale, []byte("partial"), 0o600))
	require.NoError(t, os.WriteFile(fresh, []byte("in flight"), 0o600))
	old := time.Now().Add(-48 * time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))
	newStore(t, dir)
	require.NoFileExists(t, stale)
	require.FileExists(t, fresh, "a write in flight in another process is left alone")
}

func TestHealth(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	require.NoError(t, s.Health(context.Background()))
	require.NoError(t, os.RemoveAll(dir))
	err := s.Health(context.Background())
	require.ErrorIs(t, err, apierr.ErrUnavailable)
}

// TestCrossProcessCompareAndSwap runs counter increments from several processes (this test binary re-run as
// helpers) on one directory: flock, not just the in-process mutex, must keep every update.
func TestCrossProcessCompareAndSwap(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	ctx := context.Background()
	_, err := s.Put(ctx, "counter", strings.NewReader("0"), blob.PutOptions{})
	require.NoError(t, err)

	const procs, increments = 4, 25
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*strings.Builder, procs)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0])
		cmds[i].Env = append(os.Environ(), "KAMLD_FS_HELPER_DIR="+dir, "KAMLD_FS_HELPER_N="+strconv.Itoa(increments))
		outs[i] = &strings.Builder{}
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
		require.NoError(t, cmds[i].Start())
	}
	for i, c := range cmds {
		require.NoError(t, c.Wait(), "helper %d: %s", i, outs[i])
	}
	rc, _, err := s.Get(ctx, "counter", blob.GetOptions{})
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, rc.Close())
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(procs*increments), string(b))
}

// TestKilledWriterLeavesNoPartialObject kills (SIGKILL) a process in the middle of overwriting an object:
// the old content stays, whole, and nothing partial is visible.
func TestKilledWriterLeavesNoPartialObject(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	ctx := context.Background()
	before, err := s.Put(ctx, "victim", strings.NewReader("old content"), blob.PutOptions{})
	require.NoError(t, err)

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "KAMLD_FS_HELPER_KILLME="+dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	marker := filepath.Join(dir, "writing")
	require.Eventually(t, func() bool { _, err := os.Stat(marker); return err == nil }, 30*time.Second, 10*time.Millisecond, "helper: %s", &out)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	rc, info, err := s.Get(ctx, "victim", blob.GetOptions{})
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, rc.Close())
	require.NoError(t, err)
	require.Equal(t, "old content", string(b))
	require.Equal(t, before.Version, info.Version)
	_, err = s.Stat(ctx, "fresh")
	require.ErrorIs(t, err, apierr.ErrNotFound, "a create killed midway leaves no object")
	page, err := s.List(ctx, blob.ListOptions{})
	require.NoError(t, err)
	require.Len(t, page.Objects, 1)
}

// killablePut overwrites "victim" and creates "fresh" concurrently with endless content, after signalling
// (by a marker file) that both have written a few MiB.
func killablePut(dir string) {
	s, err := fs.New(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var wrote sync.WaitGroup
	for _, key := range []string{"victim", "fresh"} {
		wrote.Add(1)
		go func() {
			_, err := s.Put(context.Background(), key, &endless{after: 4 << 20, reached: wrote.Done}, blob.PutOptions{})
			fmt.Fprintln(os.Stderr, "put returned:", err)
			os.Exit(1)
		}()
	}
	wrote.Wait()
	if err := os.WriteFile(filepath.Join(dir, "writing"), nil, 0o600); err != nil {
		os.Exit(1)
	}
	select {}
}

// endless yields zeros forever, calling reached once after the first `after` bytes.
type endless struct {
	n, after int64
	reached  func()
}

func (e *endless) Read(p []byte) (int, error) {
	clear(p)
	e.n += int64(len(p))
	switch {
	case e.n < e.after:
	case e.reached != nil:
		e.reached()
		e.reached = nil
	default:
		time.Sleep(10 * time.Millisecond) // keep writing, slowly, until killed
	}
	return len(p), nil
}

// TestMain doubles as the helper process of TestCrossProcessCompareAndSwap.
func TestMain(m *testing.M) {
	if dir := os.Getenv("KAMLD_FS_HELPER_KILLME"); dir != "" {
		killablePut(dir) // never returns: the test kills this process mid-write
	}
	if dir := os.Getenv("KAMLD_FS_HELPER_DIR"); dir != "" {
		n, _ := strconv.Atoi(os.Getenv("KAMLD_FS_HELPER_N"))
		if err := incrementCounter(dir, n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// incrementCounter adds n to the counter object with compare-and-swap, retrying lost races.
func incrementCounter(dir string, n int) error {
	s, err := fs.New(dir)
	if err != nil {
		return err
	}
	defer s.Close()
	for range n {
		if _, err := blobtest.IncrementCounter(context.Background(), s, "counter"); err != nil {
			return err
		}
	}
	return nil
}
