package dataset

// Branch conformance cases: each runs on the fs store and on a real MinIO (onStores).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// countingStore counts the requests an engine makes.
type countingStore struct {
	blob.Store
	n atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, key string, o blob.GetOptions) (io.ReadCloser, blob.Info, error) {
	c.n.Add(1)
	return c.Store.Get(ctx, key, o)
}

func (c *countingStore) Put(ctx context.Context, key string, r io.Reader, o blob.PutOptions) (blob.Info, error) {
	c.n.Add(1)
	return c.Store.Put(ctx, key, r, o)
}

func (c *countingStore) List(ctx context.Context, o blob.ListOptions) (blob.Page, error) {
	c.n.Add(1)
	return c.Store.List(ctx, o)
}

func (c *countingStore) Stat(ctx context.Context, key string) (blob.Info, error) {
	c.n.Add(1)
	return c.Store.Stat(ctx, key)
}

// snapshotFiles writes n files into the draft of id and snapshots them.
func snapshotFiles(t *testing.T, e *Engine, id string, n int, prefix string) *Snapshot {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		write(t, e, id, fmt.Sprintf("%s%05d.txt", prefix, i), fmt.Sprintf("%s %d", prefix, i))
	}
	s, err := e.CreateSnapshot(ctx, id, SnapshotOptions{Message: fmt.Sprintf("%d files", n)})
	require.NoError(t, err)
	return s
}

// onExp makes dataset iris with n files in v1 and branch exp from it, writes path on exp and snapshots it.
func onExp(t *testing.T, e *Engine, n int, path, content string) *Snapshot {
	t.Helper()
	ctx := context.Background()
	newDataset(t, e, "iris")
	snapshotFiles(t, e, "iris", n, "a")
	_, err := e.CreateBranch(ctx, "iris", "exp", "", "")
	require.NoError(t, err)
	write(t, e, "iris@exp", path, content)
	s, err := e.CreateSnapshot(ctx, "iris@exp", SnapshotOptions{})
	require.NoError(t, err)
	return s
}

func newDataset(t *testing.T, e *Engine, id string) {
	t.Helper()
	_, err := e.CreateDataset(context.Background(), id, Metadata{})
	require.NoError(t, err)
}

func TestBranchCreationIsConstant(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		counted := &countingStore{Store: store}
		e := New(counted)
		requests := map[int]int64{}
		for _, n := range []int{10, 20_000} {
			id := fmt.Sprintf("ds%d", n)
			newDataset(t, e, id)
			seedFiles(t, e, id, n)
			before := counted.n.Load()
			b, err := e.CreateBranch(ctx, id, "exp", "", "ada")
			require.NoError(t, err)
			requests[n] = counted.n.Load() - before
			require.Equal(t, "exp", b.Name)
			require.EqualValues(t, 1, b.HeadSequence)
		}
		require.Equal(t, requests[10], requests[20_000], "creating a branch reads and writes the same objects whatever the size")
		require.LessOrEqual(t, requests[10], int64(8))
	})
}

func TestBranchDraftsAreIsolated(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store)
		newDataset(t, e, "iris")
		write(t, e, "iris", "a.csv", "a1")
		v1, err := e.CreateSnapshot(ctx, "iris", SnapshotOptions{})
		require.NoError(t, err)
		_, err = e.CreateBranch(ctx, "iris", "exp", "v1", "")
		require.NoError(t, err)

		write(t, e, "iris@exp", "b.csv", "on exp")
		write(t, e, "iris", "c.csv", "on main")
		require.Equal(t, []string{"a.csv", "b.csv"}, paths(t, e, "iris", "exp~draft"))
		require.Equal(t, []string{"a.csv", "b.csv"}, paths(t, e, "iris@exp", "draft"))
		require.Equal(t, []string{"a.csv", "c.csv"}, paths(t, e, "iris", "draft"))
		require.Equal(t, []string{"a.csv", "c.csv"}, paths(t, e, "iris", "main~draft"))

		s, err := e.CreateSnapshot(ctx, "iris@exp", SnapshotOptions{Message: "exp work"})
		require.NoError(t, err)
		require.Equal(t, v1.ID, s.Parent)
		require.Equal(t, "exp", s.Branch)
		require.Equal(t, []string{"a.csv", "b.csv"}, paths(t, e, "iris", "exp"))
		require.Equal(t, []string{"a.csv"}, paths(t, e, "iris", ""), "main's head did not move")
		got, err := e.GetSnapshot(ctx, "iris", s.Version())
		require.NoError(t, err, "version numbers reach snapshots of every branch")
		require.Equal(t, s.ID, got.ID)

		m, err := e.CreateSnapshot(ctx, "iris", SnapshotOptions{})
		require.NoError(t, err)
		require.Greater(t, m.Sequence, s.Sequence, "one sequence of numbers across branches")
		hist, _, err := e.ListSnapshots(ctx, "iris@exp", Page{})
		require.NoError(t, err)
		require.Len(t, hist, 2)
		require.Equal(t, []string{s.ID, v1.ID}, []string{hist[0].ID, hist[1].ID})
		ds, err := e.GetDataset(ctx, "iris@exp")
		require.NoError(t, err)
		require.EqualValues(t, 2, ds.SnapshotCount)
		require.False(t, ds.HasDraftChanges)
	})
}

func TestBranchNames(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store)
		newDataset(t, e, "iris")
		snapshotFiles(t, e, "iris", 1, "a")
		_, err := e.CreateTag(ctx, "iris", "prod", "", "", false)
		require.NoError(t, err)
		_, err = e.CreateBranch(ctx, "iris", "prod", "", "")
		require.ErrorIs(t, err, apierr.ErrAlreadyExists, "a tag has the name")
		_, err = e.CreateBranch(ctx, "iris", "main", "", "")
		require.ErrorIs(t, err, apierr.ErrAlreadyExists)
		_, err = e.CreateBranch(ctx, "iris", "exp", "prod", "")
		require.NoError(t, err, "from a tag")
		_, err = e.CreateBranch(ctx, "iris", "exp", "", "")
		require.ErrorIs(t, err, apierr.ErrAlreadyExists)
		_, err = e.CreateTag(ctx, "iris", "exp", "", "", false)
		require.ErrorIs(t, err, apierr.ErrAlreadyExists, "a branch has the name")
		for _, bad := range []string{"v3", "draft", "abcdef12", "Exp", "a~b", ""} {
			_, err = e.CreateBranch(ctx, "iris", bad, "", "")
			requireInvalid(t, err, "branch_id")
		}
		_, err = e.CreateBranch(ctx, "iris", "x", "nosuch", "")
		require.ErrorIs(t, err, apierr.ErrNotFound)
		_, err = e.CreateBranch(ctx, "iris", "x", "draft", "")
		requireInvalid(t, err, "branch.from")
		_, err = e.StatFile(ctx, "iris@nosuch", "", "a00000.txt")
		require.ErrorIs(t, err, apierr.ErrNotFound)
		_, err = e.StatFile(ctx, "iris", "nosuch~draft", "a00000.txt")
		require.ErrorIs(t, err, apierr.ErrNotFound)
		require.ErrorIs(t, e.DeleteBranch(ctx, "iris", "main"), apierr.ErrFailedPrecondition)

		// Rename keeps head and draft; delete leaves the snapshots reachable.
		write(t, e, "iris@exp", "b.txt", "b")
		s, err := e.CreateSnapshot(ctx, "iris@exp", SnapshotOptions{})
		require.NoError(t, err)
		write(t, e, "iris@exp", "c.txt", "c")
		_, err = e.RenameBranch(ctx, "iris", "exp", "prod")
		require.ErrorIs(t, err, apierr.ErrAlreadyExists)
		b, err := e.RenameBranch(ctx, "iris", "exp", "feature")
		require.NoError(t, err)
		require.Equal(t, s.ID, b.Head)
		require.Equal(t, []string{"a00000.txt", "b.txt", "c.txt"}, paths(t, e, "iris", "feature~draft"))
		_, err = e.GetBranch(ctx, "iris", "exp")
		require.ErrorIs(t, err, apierr.ErrNotFound)
		list, _, err := e.ListBranches(ctx, "iris", Page{})
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "feature", list[0].Name)
		require.Equal(t, "main", list[1].Name)
		require.True(t, list[1].Default)

		require.NoError(t, e.DeleteBranch(ctx, "iris", "feature"))
		require.ErrorIs(t, e.DeleteBranch(ctx, "iris", "feature"), apierr.ErrNotFound)
		_, err = e.WriteFile(ctx, "iris@feature", "d.txt", strings.NewReader("d"), WriteOptions{})
		require.ErrorIs(t, err, apierr.ErrNotFound)
		got, err := e.GetSnapshot(ctx, "iris", s.ID[:10])
		require.NoError(t, err, "a deleted branch's snapshot stays reachable by id")
		require.Equal(t, s.ID, got.ID)
		_, err = e.CreateBranch(ctx, "iris", "feature", "", "")
		require.NoError(t, err)
		require.Equal(t, []string{"a00000.txt"}, paths(t, e, "iris", "feature~draft"), "a re-created name starts a new draft")
	})
}

func TestMergeFastForward(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store)
		s := onExp(t, e, 3, "b.txt", "b")
		write(t, e, "iris", "pending.txt", "p") // main's draft keeps its change across the merge

		res, err := e.MergeBranch(ctx, "iris", "exp", "", MergeOptions{})
		require.NoError(t, err)
		require.True(t, res.FastForward)
		require.Equal(t, s.ID, res.Snapshot.ID)
		require.EqualValues(t, 1, res.Stats.Added)
		h, err := e.GetSnapshot(ctx, "iris", "")
		require.NoError(t, err)
		require.Equal(t, s.ID, h.ID)
		require.Equal(t, []string{"a00000.txt", "a00001.txt", "a00002.txt", "b.txt", "pending.txt"}, paths(t, e, "iris", "draft"))

		res, err = e.MergeBranch(ctx, "iris", "exp", "main", MergeOptions{})
		require.NoError(t, err)
		require.True(t, res.UpToDate)
		_, err = e.MergeBranch(ctx, "iris", "draft", "main", MergeOptions{})
		requireInvalid(t, err, "source")
		_, err = e.MergeBranch(ctx, "iris", "exp", "nosuch", MergeOptions{})
		require.ErrorIs(t, err, apierr.ErrNotFound)
	})
}

// divergent makes branch exp from main's head and changes both sides: main modifies a1 and adds m, exp
// modifies a2, deletes a3 and adds x; both modify a0 (differently, or the same when same is true).
func divergent(t *testing.T, e *Engine, same bool) (base, ours, theirs *Snapshot) {
	t.Helper()
	ctx := context.Background()
	newDataset(t, e, "iris")
	base = snapshotFiles(t, e, "iris", 5, "a")
	_, err := e.CreateBranch(ctx, "iris", "exp", "", "")
	require.NoError(t, err)
	write(t, e, "iris", "a00001.txt", "main's a1")
	write(t, e, "iris", "m.txt", "m")
	write(t, e, "iris", "a00000.txt", "main's a0")
	write(t, e, "iris@exp", "a00002.txt", "exp's a2")
	require.NoError(t, e.DeleteFile(ctx, "iris@exp", "a00003.txt", false))
	write(t, e, "iris@exp", "x.txt", "x")
	if same {
		write(t, e, "iris@exp", "a00000.txt", "main's a0")
	} else {
		write(t, e, "iris@exp", "a00000.txt", "exp's a0!")
	}
	ours, err = e.CreateSnapshot(ctx, "iris", SnapshotOptions{})
	require.NoError(t, err)
	theirs, err = e.CreateSnapshot(ctx, "iris@exp", SnapshotOptions{})
	require.NoError(t, err)
	return base, ours, theirs
}

func TestMergeThreeWay(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store)
		base, ours, theirs := divergent(t, e, true)
		res, err := e.MergeBranch(ctx, "iris", "exp", "main", MergeOptions{Author: "ada"})
		require.NoError(t, err)
		require.False(t, res.FastForward)
		require.Equal(t, base.ID, res.Base)
		m := res.Snapshot
		require.Equal(t, ours.ID, m.Parent)
		require.Equal(t, theirs.ID, m.MergeParent)
		require.Equal(t, "merge exp into main", m.Message)
		require.Equal(t, []string{"a00000.txt", "a00001.txt", "a00002.txt", "a00004.txt", "m.txt", "x.txt"}, paths(t, e, "iris", ""))
		require.Equal(t, "main's a0", read(t, e, "iris", "", "a00000.txt"))
		require.Equal(t, "main's a1", read(t, e, "iris", "", "a00001.txt"))
		require.Equal(t, "exp's a2", read(t, e, "iris", "", "a00002.txt"))
		require.Equal(t, DiffStats{Added: 1, Removed: 1, Modified: 1, BytesDelta: res.Stats.BytesDelta}, res.Stats)

		// Merging back the other way fast-forwards exp to the merge; again is up to date.
		res, err = e.MergeBranch(ctx, "iris", "main", "exp", MergeOptions{})
		require.NoError(t, err)
		require.True(t, res.FastForward)
		require.Equal(t, m.ID, res.Snapshot.ID)
		res, err = e.MergeBranch(ctx, "iris", "exp", "main", MergeOptions{})
		require.NoError(t, err)
		require.True(t, res.UpToDate)
	})
}

func TestMergeConflicts(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store)
		divergent(t, e, false)
		// A second conflict: deleted on main, modified on exp.
		require.NoError(t, e.DeleteFile(ctx, "iris", "a00004.txt", false))
		ours, err := e.CreateSnapshot(ctx, "iris", SnapshotOptions{})
		require.NoError(t, err)
		write(t, e, "iris@exp", "a00004.txt", "exp's a4")
		theirs, err := e.CreateSnapshot(ctx, "iris@exp", SnapshotOptions{})
		require.NoError(t, err)

		_, err = e.MergeBranch(ctx, "iris", "exp", "", MergeOptions{})
		require.ErrorIs(t, err, apierr.ErrFailedPrecondition)
		var ce *MergeConflictError
		require.True(t, errors.As(err, &ce))
		require.Len(t, ce.Conflicts, 2)
		c0, c4 := ce.Conflicts[0], ce.Conflicts[1]
		require.Equal(t, "a00000.txt", c0.Path)
		require.Equal(t, digestOf("a 0"), c0.Base.Digest)
		require.Equal(t, digestOf("main's a0"), c0.Ours.Digest)
		require.EqualValues(t, len("main's a0"), c0.Ours.Size)
		require.Equal(t, digestOf("exp's a0!"), c0.Theirs.Digest)
		require.EqualValues(t, len("exp's a0!"), c0.Theirs.Size)
		require.Equal(t, "a00004.txt", c4.Path)
		require.Nil(t, c4.Ours, "deleted on main")
		require.Equal(t, digestOf("exp's a4"), c4.Theirs.Digest)
		h, err := e.GetSnapshot(ctx, "iris", "")
		require.NoError(t, err)
		require.Equal(t, ours.ID, h.ID, "a failed merge commits nothing")

		// Strategies: theirs for all but a00004, which keeps ours (absent).
		res, err := e.MergeBranch(ctx, "iris", "exp", "", MergeOptions{Strategy: MergeTheirs, PathStrategies: map[string]MergeStrategy{"a00004.txt": MergeOurs}})
		require.NoError(t, err)
		require.Len(t, res.Resolved, 2)
		require.Equal(t, theirs.ID, res.Snapshot.MergeParent)
		require.Equal(t, "exp's a0!", read(t, e, "iris", "", "a00000.txt"))
		_, err = e.StatFile(ctx, "iris", "", "a00004.txt")
		require.ErrorIs(t, err, apierr.ErrNotFound)
	})
}

func TestMergeStrategyOursForAll(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store)
		divergent(t, e, false)
		res, err := e.MergeBranch(ctx, "iris", "exp", "", MergeOptions{Strategy: MergeOurs})
		require.NoError(t, err)
		require.Len(t, res.Resolved, 1)
		require.Equal(t, "main's a0", read(t, e, "iris", "", "a00000.txt"))
		require.Equal(t, "x", read(t, e, "iris", "", "x.txt"), "non-conflicting changes still merge")
	})
}

// TestLegacyStore opens a store written by kamld before branches (testdata/legacy-store) and uses it: the
// old head and draft are the default branch's, and new snapshots and branches work on top.
func TestLegacyStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(legacyFixture)))
	e := New(newFS(t, filepath.Clean(dir)))

	ds, err := e.GetDataset(ctx, "iris")
	require.NoError(t, err)
	require.EqualValues(t, 2, ds.SnapshotCount)
	require.True(t, ds.HasDraftChanges)
	require.Equal(t, "a,1\n", read(t, e, "iris", "first", "a.csv"))
	require.Equal(t, "a,2\n", read(t, e, "iris", "v2", "a.csv"))
	require.Equal(t, "a,2\n", read(t, e, "iris", "main", "a.csv"))
	require.Equal(t, []string{"b.csv"}, paths(t, e, "iris", "draft"))
	require.Equal(t, []string{"b.csv"}, paths(t, e, "iris", "main~draft"))

	_, err = e.CreateBranch(ctx, "iris", "exp", "v1", "")
	require.NoError(t, err)
	write(t, e, "iris@exp", "e.csv", "e")
	se, err := e.CreateSnapshot(ctx, "iris@exp", SnapshotOptions{})
	require.NoError(t, err)
	require.EqualValues(t, 3, se.Sequence, "numbering continues after the legacy history")
	s3, err := e.CreateSnapshot(ctx, "iris", SnapshotOptions{})
	require.NoError(t, err)
	require.EqualValues(t, 4, s3.Sequence)
	require.Equal(t, []string{"b.csv"}, paths(t, e, "iris", ""))
	hist, _, err := e.ListSnapshots(ctx, "iris", Page{})
	require.NoError(t, err)
	require.Len(t, hist, 3)
	require.EqualValues(t, []int64{4, 2, 1}, []int64{hist[0].Sequence, hist[1].Sequence, hist[2].Sequence})
	res, err := e.MergeBranch(ctx, "iris", "exp", "", MergeOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"b.csv", "e.csv"}, paths(t, e, "iris", ""))
	require.NotEmpty(t, res.Base)
	r, err := e.CollectGarbage(ctx, GCOptions{Grace: 2 * DefaultRefreshAge})
	require.NoError(t, err)
	require.NotNil(t, r)
}

// TestOldSidecarNumbersAreSkipped: a sidecar of the version before branches, still running on the store,
// commits by creating seq/<n> itself; a new snapshot never takes that number or overwrites that record.
func TestOldSidecarNumbersAreSkipped(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store)
		newDataset(t, e, "iris")
		v1 := snapshotFiles(t, e, "iris", 1, "a")
		d, err := e.open(ctx, access.Reader, "name", "iris")
		require.NoError(t, err)
		old := snapRecord{ID: "0ld", Seq: 2, Parent: v1.ID, Root: v1.ManifestRoot}
		_, err = putJSON(ctx, store, d.keys.seq(2), old, blob.PutOptions{IfNoneMatch: true})
		require.NoError(t, err)
		s := snapshotFiles(t, e, "iris", 1, "b")
		require.EqualValues(t, 3, s.Sequence)
		require.Equal(t, v1.ID, s.Parent)
		got, err := e.GetSnapshot(ctx, "iris", "v3")
		require.NoError(t, err)
		require.Equal(t, s.ID, got.ID)
	})
}

// TestBranchCommitFinishedByReader: a commit on a branch whose writer died after moving the pointer and before
// writing the seq/ record and id index (the state is made by undoing them) is finished by the next reader —
// found by id and number, listed, and merged.
func TestBranchCommitFinishedByReader(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store)
		s := onExp(t, e, 2, "x.txt", "x")
		d, err := e.open(ctx, access.Reader, "name", "iris@exp")
		require.NoError(t, err)
		br, ver, err := d.readBranch(ctx)
		require.NoError(t, err)
		br.Finished = false
		_, err = putJSON(ctx, store, d.keys.branch("exp"), br, blob.PutOptions{IfMatch: ver})
		require.NoError(t, err)
		require.NoError(t, store.Delete(ctx, d.keys.seq(s.Sequence), blob.DeleteOptions{}))
		require.NoError(t, store.Delete(ctx, d.keys.snapID(s.ID), blob.DeleteOptions{}))

		got, err := e.GetSnapshot(ctx, "iris", s.Version()) // from main: every branch's head is finished
		require.NoError(t, err)
		require.Equal(t, s.ID, got.ID)
		got, err = e.GetSnapshot(ctx, "iris", s.ID[:8])
		require.NoError(t, err)
		require.Equal(t, s.ID, got.ID)
		res, err := e.MergeBranch(ctx, "iris", "exp", "", MergeOptions{})
		require.NoError(t, err)
		require.True(t, res.FastForward)
		require.Equal(t, "x", read(t, e, "iris", "", "x.txt"))
	})
}
