package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
)

// The crash tests re-execute the test binary as a helper process that works on a shared fs store and is
// killed with SIGKILL at a chosen point — a real crash, not a simulated one.
const (
	envCrashHelper = "KAMLD_DATASET_CRASH_HELPER" // which crash: "upload" or "seal"
	envCrashDir    = "KAMLD_DATASET_CRASH_DIR"
	envCrashWho    = "KAMLD_DATASET_CRASH_WHO"
	envCrashS3     = "KAMLD_DATASET_CRASH_S3" // endpoint bucket access-key secret-key, space-separated

)

func runCrashHelper(which string) {
	ctx := context.Background()
	var store blob.Store
	var err error
	if cfg := strings.Fields(os.Getenv(envCrashS3)); len(cfg) == 4 {
		// The smallest part size: 8 MiB is then one part uploaded and a second in flight when killed.
		store, err = s3.New(ctx, s3.Config{Endpoint: cfg[0], Bucket: cfg[1], AccessKey: cfg[2], SecretKey: cfg[3]}, s3.WithPartSize(1))
	} else {
		store, err = fs.New(os.Getenv(envCrashDir))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	e := New(store)
	switch which {
	case "upload":
		// A large upload whose source kills the process after 8 MiB, mid-stream.
		_, err = e.WriteFile(ctx, "crash", "big.bin", &killAfter{n: 8 << 20}, WriteOptions{})
	case "writer":
		// One of several sidecar processes: writes its files, taking a snapshot after every fifth.
		who := os.Getenv(envCrashWho)
		for i := range 20 {
			p := fmt.Sprintf("%s/f%02d.txt", who, i)
			if _, err := e.WriteFile(ctx, "crash", p, strings.NewReader(p), WriteOptions{}); err != nil {
				fmt.Fprintln(os.Stderr, "write:", err)
				os.Exit(4)
			}
			if i%5 == 4 {
				if _, err := e.CreateSnapshot(ctx, "crash", SnapshotOptions{Author: who}); err != nil &&
					!errors.Is(err, apierr.ErrFailedPrecondition) && !errors.Is(err, apierr.ErrAborted) {
					fmt.Fprintln(os.Stderr, "snapshot:", err)
					os.Exit(5)
				}
			}
		}
		os.Exit(0)
	case "brancher":
		os.Exit(runBrancher(ctx, e, os.Getenv(envCrashWho)))
	case "merge-before", "merge-after":
		stage := strings.TrimPrefix(which, "merge-")
		e.hookCommit = func(s string) {
			if s == stage {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
		_, err = e.MergeBranch(ctx, "crash", "exp", "", MergeOptions{})
	case "seal":
		e.hookAfterSeal = func() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL); select {} }
		_, err = e.CreateSnapshot(ctx, "crash", SnapshotOptions{Message: "never committed"})
	}
	fmt.Fprintln(os.Stderr, "helper was not killed:", err)
	os.Exit(3)
}

// killAfter yields bytes, then SIGKILLs its own process once n bytes were read.
type killAfter struct{ n, read int }

func (k *killAfter) Read(p []byte) (int, error) {
	if k.read >= k.n {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	for i := range p {
		p[i] = byte(k.read + i)
	}
	k.read += len(p)
	return len(p), nil
}

func runKilled(t *testing.T, dir, which string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), envCrashHelper+"="+which, envCrashDir+"="+dir), env...)
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the helper must die: %s", out)
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "helper ended with %v: %s", err, out)
}

func crashStore(t *testing.T) (string, blob.Store, *Engine) {
	dir := t.TempDir()
	store := newFS(t, dir)
	e := New(store)
	_, err := e.CreateDataset(context.Background(), "crash", Metadata{})
	require.NoError(t, err)
	return dir, store, e
}

func TestKilledUploadLeavesNoPartialFile(t *testing.T) {
	ctx := context.Background()
	dir, store, e := crashStore(t)
	write(t, e, "crash", "small.txt", "kept")
	blobsBefore := countKeys(t, store, blobPrefix)

	runKilled(t, dir, "upload")

	_, err := e.StatFile(ctx, "crash", "draft", "big.bin")
	require.ErrorIs(t, err, apierr.ErrNotFound, "no partial file in the draft")
	require.Equal(t, []string{"small.txt"}, paths(t, e, "crash", "draft"))
	require.Equal(t, blobsBefore, countKeys(t, store, blobPrefix), "no partial blob at a content key")
	s, err := e.CreateSnapshot(ctx, "crash", SnapshotOptions{})
	require.NoError(t, err)
	require.EqualValues(t, 1, s.Stats.FileCount)
	require.Equal(t, "kept", read(t, e, "crash", "", "small.txt"))
	// The 8 MiB that arrived before the kill sit only in the fs store's private temp folder (swept when a day
	// old); no object under objects/ holds them.
	var partial int64
	_ = filepath.Walk(filepath.Join(dir, "tmp"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			partial = max(partial, fi.Size())
		}
		return nil
	})
	require.GreaterOrEqual(t, partial, int64(8<<20), "the helper was killed mid-upload, with the bytes in flight")
	var leftover int64
	_ = filepath.Walk(filepath.Join(dir, "objects"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && !strings.Contains(p, "/"+uploadPrefix) {
			leftover = max(leftover, fi.Size())
		}
		return nil
	})
	require.Less(t, leftover, int64(1<<20))
}

func TestKilledUploadLeavesNoPartialFileOnMinIO(t *testing.T) {
	ctx := context.Background()
	srv := minio.Start(t)
	bucket := fmt.Sprintf("crash-%d", os.Getpid())
	store := openS3(t, srv, bucket)
	e := New(store)
	_, err := e.CreateDataset(ctx, "crash", Metadata{})
	require.NoError(t, err)
	write(t, e, "crash", "small.txt", "kept")

	runKilled(t, "", "upload", envCrashS3+"="+strings.Join([]string{srv.Endpoint, bucket, srv.AccessKey, srv.SecretKey}, " "))

	_, err = e.StatFile(ctx, "crash", "draft", "big.bin")
	require.ErrorIs(t, err, apierr.ErrNotFound)
	require.Equal(t, 1, countKeys(t, store, blobPrefix), "no partial blob")
	require.Equal(t, 0, countKeys(t, store, uploadPrefix), "a killed multipart upload leaves no visible staging object")
	s, err := e.CreateSnapshot(ctx, "crash", SnapshotOptions{})
	require.NoError(t, err)
	require.EqualValues(t, 1, s.Stats.FileCount)
}

func TestSnapshotKilledAfterSealIsRecovered(t *testing.T) {
	ctx := context.Background()
	dir, _, e := crashStore(t)
	write(t, e, "crash", "a.txt", "a")
	write(t, e, "crash", "b.txt", "b")

	runKilled(t, dir, "seal")

	d, err := e.open(ctx, access.Reader, "name", "crash")
	require.NoError(t, err)
	p, _, err := d.readPointer(ctx)
	require.NoError(t, err)
	require.Len(t, p.Sealed, 1, "the helper sealed a generation and died before committing it")
	_, err = e.GetSnapshot(ctx, "crash", "")
	require.ErrorIs(t, err, apierr.ErrNotFound, "nothing was committed")
	require.Equal(t, []string{"a.txt", "b.txt"}, paths(t, e, "crash", "draft"), "the sealed writes are still in the draft")

	write(t, e, "crash", "c.txt", "c")
	s, err := e.CreateSnapshot(ctx, "crash", SnapshotOptions{Message: "recovers"})
	require.NoError(t, err)
	require.EqualValues(t, 1, s.Sequence)
	require.Equal(t, []string{"a.txt", "b.txt", "c.txt"}, paths(t, e, "crash", ""))
	p, _, err = d.readPointer(ctx)
	require.NoError(t, err)
	require.Empty(t, p.Sealed, "the leftover generation was folded and tidied away")
	ds, err := e.GetDataset(ctx, "crash")
	require.NoError(t, err)
	require.False(t, ds.HasDraftChanges)
}

// TestCommitFinishedByReader: a snapshot whose writer died right after moving the branch pointer (its commit
// point), before writing the seq/<n> record and the id index, is finished by the next reader: found by id
// and by number, and built on.
func TestCommitFinishedByReader(t *testing.T) {
	ctx := context.Background()
	_, store, e := crashStore(t)
	write(t, e, "crash", "a.txt", "a")
	s1, err := e.CreateSnapshot(ctx, "crash", SnapshotOptions{})
	require.NoError(t, err)
	d, err := e.open(ctx, access.Reader, "name", "crash")
	require.NoError(t, err)
	// Undo what finish wrote after the commit, as if the writer had died there.
	br, ver, err := d.readBranch(ctx)
	require.NoError(t, err)
	br.Finished = false
	_, err = putJSON(ctx, store, d.keys.branch(d.branch), br, blob.PutOptions{IfMatch: ver})
	require.NoError(t, err)
	require.NoError(t, store.Delete(ctx, d.keys.seq(s1.Sequence), blob.DeleteOptions{}))
	require.NoError(t, store.Delete(ctx, d.keys.snapID(s1.ID), blob.DeleteOptions{}))

	got, err := e.GetSnapshot(ctx, "crash", s1.ID[:8])
	require.NoError(t, err)
	require.Equal(t, s1.ID, got.ID)
	got, err = e.GetSnapshot(ctx, "crash", s1.Version())
	require.NoError(t, err)
	require.Equal(t, s1.ID, got.ID)
	write(t, e, "crash", "b.txt", "b")
	s2, err := e.CreateSnapshot(ctx, "crash", SnapshotOptions{})
	require.NoError(t, err)
	require.Equal(t, s1.ID, s2.Parent)
	require.EqualValues(t, 2, s2.Sequence)
}

// TestSeveralProcesses: four sidecar processes write 20 files each into one dataset on a shared fs store,
// snapshotting as they go, while this process snapshots too. Nothing is lost and history stays linear.
func TestSeveralProcesses(t *testing.T) {
	ctx := context.Background()
	dir, _, e := crashStore(t)
	var cmds []*exec.Cmd
	for i := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envCrashHelper+"=writer", envCrashDir+"="+dir, fmt.Sprintf("%s=p%d", envCrashWho, i))
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		cmds = append(cmds, cmd)
	}
	waited := make(chan error, len(cmds))
	for _, c := range cmds {
		go func() { waited <- c.Wait() }()
	}
	for range cmds {
		for {
			select {
			case err := <-waited:
				require.NoError(t, err, "a writer process failed")
			default:
				_, err := e.CreateSnapshot(ctx, "crash", SnapshotOptions{Author: "parent"})
				if err == nil || errors.Is(err, apierr.ErrFailedPrecondition) || errors.Is(err, apierr.ErrAborted) {
					continue
				}
				require.NoError(t, err)
			}
			break
		}
	}
	final, err := e.CreateSnapshot(ctx, "crash", SnapshotOptions{AllowEmpty: true})
	require.NoError(t, err)
	require.EqualValues(t, 80, final.Stats.FileCount)
	for i := range 4 {
		for j := range 20 {
			p := fmt.Sprintf("p%d/f%02d.txt", i, j)
			require.Equal(t, p, read(t, e, "crash", "", p))
		}
	}
	// One line of history: every snapshot's parent has a smaller number and no more files, down to the first;
	// numbers of commits that lost their race are skipped, never shared.
	prev, count := final, 1
	for prev.Parent != "" {
		s, err := e.GetSnapshot(ctx, "crash", prev.Parent)
		require.NoError(t, err)
		require.Less(t, s.Sequence, prev.Sequence)
		require.LessOrEqual(t, s.Stats.FileCount, prev.Stats.FileCount)
		prev, count = s, count+1
	}
	ds, err := e.GetDataset(ctx, "crash")
	require.NoError(t, err)
	require.EqualValues(t, count, ds.SnapshotCount)
	t.Logf("%d snapshots by 5 processes, numbered up to v%d", count, final.Sequence)
}
