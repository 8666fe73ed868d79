package dataset

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
)

// Branch concurrency across processes, on a shared fs directory and on one MinIO bucket: three helper
// processes each merge branches into main while this process snapshots main and races writers on a branch
// against that branch's deletion. Nothing merged or snapshotted is lost and main's history stays one line.

const brancherRounds = 5

// runBrancher is a helper process: brancherRounds times, a branch from main with one new file, snapshotted
// and merged into main (retrying a merge that lost its race).
func runBrancher(ctx context.Context, e *Engine, who string) int {
	for k := range brancherRounds {
		name := fmt.Sprintf("%s-%d", who, k)
		if _, err := e.CreateBranch(ctx, "br", name, "", who); err != nil {
			fmt.Fprintln(os.Stderr, "branch:", err)
			return 4
		}
		p := fmt.Sprintf("%s/k%d.txt", who, k)
		if _, err := e.WriteFile(ctx, "br@"+name, p, strings.NewReader(p), WriteOptions{}); err != nil {
			fmt.Fprintln(os.Stderr, "write:", err)
			return 5
		}
		if _, err := e.CreateSnapshot(ctx, "br@"+name, SnapshotOptions{Author: who}); err != nil {
			fmt.Fprintln(os.Stderr, "snapshot:", err)
			return 6
		}
		for {
			_, err := e.MergeBranch(ctx, "br", name, "", MergeOptions{Author: who})
			if errors.Is(err, apierr.ErrAborted) {
				continue
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "merge:", err)
				return 7
			}
			break
		}
	}
	return 0
}

func TestBranchesAcrossProcesses(t *testing.T) {
	t.Run("fs", func(t *testing.T) {
		dir := t.TempDir()
		branchProcesses(t, New(newFS(t, dir)), envCrashDir+"="+dir)
	})
	t.Run("minio", func(t *testing.T) {
		srv := minio.Start(t)
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		bucket := "br-" + hex.EncodeToString(b)
		branchProcesses(t, New(openS3(t, srv, bucket)), envCrashS3+"="+strings.Join([]string{srv.Endpoint, bucket, srv.AccessKey, srv.SecretKey}, " "))
	})
}

func branchProcesses(t *testing.T, e *Engine, env string) {
	ctx := context.Background()
	newDataset(t, e, "br")
	write(t, e, "br", "base.txt", "base")
	_, err := e.CreateSnapshot(ctx, "br", SnapshotOptions{})
	require.NoError(t, err)

	var cmds []*exec.Cmd
	waited := make(chan error, 3)
	for i := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envCrashHelper+"=brancher", env, fmt.Sprintf("%s=p%d", envCrashWho, i))
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		cmds = append(cmds, cmd)
		go func() { waited <- cmd.Wait() }()
	}
	// Meanwhile: snapshots of main racing the merges, and writers racing branch deletes.
	running, own := len(cmds), 0
	for round := 0; running > 0; round++ {
		select {
		case err := <-waited:
			require.NoError(t, err, "a brancher process failed")
			running--
			continue
		default:
		}
		write(t, e, "br", fmt.Sprintf("parent/%03d.txt", round), "parent")
		if _, err := e.CreateSnapshot(ctx, "br", SnapshotOptions{Author: "parent"}); err == nil {
			own++
		} else if !errors.Is(err, apierr.ErrAborted) && !errors.Is(err, apierr.ErrFailedPrecondition) {
			require.NoError(t, err)
		}
		draftRacesDelete(t, e, fmt.Sprintf("victim-%d", round%2))
	}
	final, err := e.CreateSnapshot(ctx, "br", SnapshotOptions{AllowEmpty: true})
	require.NoError(t, err)
	files := paths(t, e, "br", "")
	for i := range 3 {
		for k := range brancherRounds {
			require.Contains(t, files, fmt.Sprintf("p%d/k%d.txt", i, k), "a merge was lost")
		}
	}
	require.Contains(t, files, "base.txt")
	// Main's first-parent history is one line of decreasing numbers; every merge snapshot's second parent is
	// a brancher's snapshot.
	hist, _, err := e.ListSnapshots(ctx, "br", Page{Size: MaxPageSize})
	require.NoError(t, err)
	merges := 0
	for i, s := range hist {
		if i+1 < len(hist) {
			require.Equal(t, hist[i+1].ID, s.Parent)
			require.Less(t, hist[i+1].Sequence, s.Sequence)
		}
		if s.MergeParent != "" {
			merges++
			mp, err := e.GetSnapshot(ctx, "br", s.MergeParent)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(mp.Branch, "p"), "second parent on %s", mp.Branch)
		}
	}
	require.Equal(t, final.ID, hist[0].ID)
	t.Logf("main: %d snapshots (%d merges, %d fast-forwards among the 15 merges, %d own snapshots)", len(hist), merges, 15-merges, own)
}

// draftRacesDelete writes to a fresh branch from two goroutines while the branch is deleted. Every write
// either fails with NOT_FOUND or succeeded before the delete; none leaks into the branch created next under
// the same name.
func draftRacesDelete(t *testing.T, e *Engine, name string) {
	ctx := context.Background()
	_, err := e.CreateBranch(ctx, "br", name, "", "")
	require.NoError(t, err)
	errs := make(chan error, 2)
	for w := range 2 {
		go func() {
			deadline := time.Now().Add(5 * time.Second)
			for j := 0; time.Now().Before(deadline); j++ {
				_, err := e.WriteFile(ctx, "br@"+name, fmt.Sprintf("w%d/%d", w, j), strings.NewReader("doomed"), WriteOptions{})
				if err != nil {
					if errors.Is(err, apierr.ErrNotFound) {
						err = nil
					}
					errs <- err
					return
				}
			}
			errs <- errors.New("the branch was never deleted")
		}()
	}
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, e.DeleteBranch(ctx, "br", name))
	require.NoError(t, <-errs)
	require.NoError(t, <-errs)
	_, err = e.CreateBranch(ctx, "br", name, "", "")
	require.NoError(t, err)
	for _, p := range paths(t, e, "br", name+"~draft") {
		require.False(t, strings.HasPrefix(p, "w"), "%s of the deleted branch leaked into the new one", p)
	}
	require.NoError(t, e.DeleteBranch(ctx, "br", name))
}

// TestMergeKilled: a process merging exp into main is killed (SIGKILL) just before the pointer moves, and in
// another run just after: before, main is unchanged and the next merge works (the number it took is skipped);
// after, the merge is committed and the next reader finishes it. On a shared directory and on MinIO.
func TestMergeKilled(t *testing.T) {
	for _, stage := range []string{"before", "after"} {
		t.Run(stage, func(t *testing.T) {
			t.Run("fs", func(t *testing.T) {
				dir := t.TempDir()
				mergeKilled(t, New(newFS(t, dir)), stage, envCrashDir+"="+dir)
			})
			t.Run("minio", func(t *testing.T) {
				srv := minio.Start(t)
				b := make([]byte, 6)
				_, _ = rand.Read(b)
				bucket := "mk-" + hex.EncodeToString(b)
				mergeKilled(t, New(openS3(t, srv, bucket)), stage, envCrashS3+"="+strings.Join([]string{srv.Endpoint, bucket, srv.AccessKey, srv.SecretKey}, " "))
			})
		})
	}
}

func mergeKilled(t *testing.T, e *Engine, stage, env string) {
	ctx := context.Background()
	newDataset(t, e, "crash")
	write(t, e, "crash", "a.txt", "a")
	v1, err := e.CreateSnapshot(ctx, "crash", SnapshotOptions{})
	require.NoError(t, err)
	_, err = e.CreateBranch(ctx, "crash", "exp", "", "")
	require.NoError(t, err)
	write(t, e, "crash@exp", "x.txt", "x")
	onExp, err := e.CreateSnapshot(ctx, "crash@exp", SnapshotOptions{})
	require.NoError(t, err)
	write(t, e, "crash", "m.txt", "m")
	onMain, err := e.CreateSnapshot(ctx, "crash", SnapshotOptions{})
	require.NoError(t, err)
	require.Equal(t, v1.ID, onMain.Parent)

	runKilled(t, "", "merge-"+stage, env)

	head, err := e.GetSnapshot(ctx, "crash", "")
	require.NoError(t, err)
	if stage == "before" {
		require.Equal(t, onMain.ID, head.ID, "nothing was committed")
		res, err := e.MergeBranch(ctx, "crash", "exp", "", MergeOptions{})
		require.NoError(t, err)
		head = res.Snapshot
		require.Greater(t, head.Sequence, onMain.Sequence+1, "the killed merge's number is skipped")
	}
	require.Equal(t, onMain.ID, head.Parent)
	require.Equal(t, onExp.ID, head.MergeParent)
	got, err := e.GetSnapshot(ctx, "crash", head.Version())
	require.NoError(t, err, "the merge is findable by number")
	require.Equal(t, head.ID, got.ID)
	require.Equal(t, []string{"a.txt", "m.txt", "x.txt"}, paths(t, e, "crash", ""))
	res, err := e.MergeBranch(ctx, "crash", "exp", "", MergeOptions{})
	require.NoError(t, err)
	require.True(t, res.UpToDate)
}
