package dataset

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// indexedEngine checkpoints drafts every 2 KiB of entries (about a dozen single writes or one small batch).
func indexedEngine(store blob.Store) *Engine { return New(store, WithDraftIndexBytes(2<<10)) }

func batchWrite(t *testing.T, e *Engine, id string, files map[string]string) {
	t.Helper()
	ctx := context.Background()
	b, err := e.NewBatch(ctx, id)
	require.NoError(t, err)
	for _, p := range slices.Sorted(maps.Keys(files)) {
		b.Add(BatchFile{Path: p, Content: []byte(files[p])})
	}
	_, err = b.Commit(ctx)
	require.NoError(t, err)
}

// pagedPaths lists ref page by page (size 7, so pages cross checkpoints and folders), recursively or not.
func pagedPaths(t *testing.T, e *Engine, id, ref, prefix string, recursive bool) []string {
	t.Helper()
	var out []string
	token := ""
	for {
		l, err := e.ListFiles(context.Background(), id, ref, ListFilesOptions{Prefix: prefix, Recursive: recursive, Page: Page{Size: 7, Token: token}})
		require.NoError(t, err)
		for _, f := range l.Files {
			out = append(out, f.Path)
		}
		out = append(out, l.Folders...)
		if token = l.NextToken; token == "" {
			slices.Sort(out)
			return out
		}
	}
}

// draftFold reports whether a read of the draft starts from a checkpoint (not the head) and how many entries
// it applies on top.
func draftFold(t *testing.T, e *Engine, id string) (indexed bool, applied int) {
	t.Helper()
	ctx := context.Background()
	d, err := e.open(ctx, access.Reader, "dataset", id)
	require.NoError(t, err)
	p, _, err := d.readPointer(ctx)
	require.NoError(t, err)
	head, _, err := d.loadHead(ctx)
	require.NoError(t, err)
	start, _ := foldStart(head, pending(p, head))
	_, applied, err = d.fold(ctx, head, pending(p, head))
	require.NoError(t, err)
	return start != head.rootOrEmpty(), applied
}

func TestDraftIndexKeepsReadsSmallAndExact(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := indexedEngine(store)
		newDataset(t, e, "big")
		want := map[string]string{}
		for b := range 12 {
			files := map[string]string{}
			for i := range 40 {
				p := fmt.Sprintf("many/f%04d.txt", b*40+i)
				files[p], want[p] = p, p
			}
			batchWrite(t, e, "big", files)
		}
		for i := range 60 { // single writes: new files, overwrites and files in sub-folders
			p := fmt.Sprintf("many/sub%d/s%03d.txt", i%3, i)
			if i%4 == 0 {
				p = fmt.Sprintf("many/f%04d.txt", i*7)
			}
			write(t, e, "big", p, "v2 "+p)
			want[p] = "v2 " + p
		}
		require.NoError(t, e.DeleteFile(ctx, "big", "many/sub1", true))
		for p := range want {
			if isUnder(p, "many/sub1/") {
				delete(want, p)
			}
		}

		indexed, applied := draftFold(t, e, "big")
		require.True(t, indexed, "the draft is read from a checkpoint")
		require.Less(t, applied, 200, "a read applies only the entries since the last checkpoint, not all %d", len(want))

		all := slices.Sorted(maps.Keys(want))
		require.Equal(t, all, pagedPaths(t, e, "big", "draft", "", true))
		top := pagedPaths(t, e, "big", "draft", "many/", false)
		require.Len(t, top, 480+2)
		require.Equal(t, []string{"many/sub0/", "many/sub2/"}, top[480:])
		require.Equal(t, "v2 many/f0028.txt", read(t, e, "big", "draft", "many/f0028.txt"))

		// The snapshot folds the same files, and the draft after it has nothing pending.
		_, err := e.CreateSnapshot(ctx, "big", SnapshotOptions{Message: "all"})
		require.NoError(t, err)
		require.Equal(t, all, pagedPaths(t, e, "big", "v1", "", true))
		require.Equal(t, all, pagedPaths(t, e, "big", "draft", "", true))
		_, err = e.CreateSnapshot(ctx, "big", SnapshotOptions{})
		require.ErrorIs(t, err, apierr.ErrFailedPrecondition, "nothing is pending after the snapshot")
	})
}

// A checkpoint is folded on one head: a merge that moves the head under the draft must not be hidden by it.
func TestDraftIndexIgnoredAfterTheHeadMoves(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := indexedEngine(store)
		newDataset(t, e, "iris")
		write(t, e, "iris", "a.txt", "a")
		_, err := e.CreateSnapshot(ctx, "iris", SnapshotOptions{})
		require.NoError(t, err)
		_, err = e.CreateBranch(ctx, "iris", "exp", "", "")
		require.NoError(t, err)
		write(t, e, "iris@exp", "exp.txt", "exp")
		_, err = e.CreateSnapshot(ctx, "iris@exp", SnapshotOptions{})
		require.NoError(t, err)

		files := map[string]string{}
		for i := range 40 {
			files[fmt.Sprintf("p%02d.txt", i)] = "p"
		}
		batchWrite(t, e, "iris", files)
		write(t, e, "iris", "late.txt", "late")
		indexed, _ := draftFold(t, e, "iris")
		require.True(t, indexed)

		res, err := e.MergeBranch(ctx, "iris", "exp", "", MergeOptions{})
		require.NoError(t, err)
		require.True(t, res.FastForward)
		got := pagedPaths(t, e, "iris", "draft", "", true)
		require.Contains(t, got, "exp.txt", "the merged head shows through the pending changes")
		require.Contains(t, got, "late.txt")
		require.Len(t, got, 43)
	})
}

// A draft written without checkpoints (by an older sidecar, or past its threshold) gets one from the first
// read that has to fold too much; reads after it apply nothing more.
func TestDraftIndexMadeByAReader(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		writer := New(store, WithDraftIndexBytes(1<<40))
		newDataset(t, writer, "old")
		for i := range 30 {
			write(t, writer, "old", fmt.Sprintf("f%02d.txt", i), "x")
		}
		indexed, applied := draftFold(t, writer, "old")
		require.False(t, indexed)
		require.Equal(t, 30, applied)

		reader := indexedEngine(store)
		require.Len(t, pagedPaths(t, reader, "old", "draft", "", true), 30)
		indexed, applied = draftFold(t, reader, "old")
		require.True(t, indexed)
		require.Zero(t, applied)
		require.Len(t, pagedPaths(t, writer, "old", "draft", "", true), 30, "the index reads the same for everyone")
	})
}

// A checkpoint that dies after its seal, before recording its index, leaves one more sealed generation: the
// draft reads the same, and the next checkpoint or snapshot carries on.
func TestDraftIndexKilledAfterSeal(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store, WithDraftIndexBytes(1<<40))
		newDataset(t, e, "iris")
		for i := range 5 {
			write(t, e, "iris", fmt.Sprintf("f%d.txt", i), "x")
		}
		d, err := e.open(ctx, access.Writer, "dataset", "iris")
		require.NoError(t, err)
		p, pv, err := d.readPointer(ctx)
		require.NoError(t, err)
		sealed := draftPointer{Cur: genRef{ID: newGenID()}, Sealed: append(p.Sealed, p.Cur)}
		_, err = putJSON(ctx, store, d.draftKey, sealed, blob.SwapOptions(pv)) // the seal, and nothing after
		require.NoError(t, err)
		write(t, e, "iris", "after.txt", "y")
		want := []string{"after.txt", "f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt"}
		require.Equal(t, want, pagedPaths(t, e, "iris", "draft", "", true))

		require.NoError(t, d.checkpoint(ctx))
		indexed, applied := draftFold(t, e, "iris")
		require.True(t, indexed)
		require.Zero(t, applied)
		require.Equal(t, want, pagedPaths(t, e, "iris", "draft", "", true))
		_, err = e.CreateSnapshot(ctx, "iris", SnapshotOptions{})
		require.NoError(t, err)
		require.Equal(t, want, pagedPaths(t, e, "iris", "v1", "", true))
	})
}
