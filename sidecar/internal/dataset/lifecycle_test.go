package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

func digestOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

func write(t *testing.T, e *Engine, id, path, content string) *FileInfo {
	t.Helper()
	fi, err := e.WriteFile(context.Background(), id, path, strings.NewReader(content), WriteOptions{})
	require.NoError(t, err, path)
	return fi
}

func read(t *testing.T, e *Engine, id, ref, path string) string {
	t.Helper()
	rc, _, err := e.OpenFile(context.Background(), id, ref, path, 0, 0)
	require.NoError(t, err, "%s@%s", path, ref)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

func paths(t *testing.T, e *Engine, id, ref string) []string {
	t.Helper()
	l, err := e.ListFiles(context.Background(), id, ref, ListFilesOptions{Recursive: true, Page: Page{Size: MaxPageSize}})
	require.NoError(t, err)
	var out []string
	for _, f := range l.Files {
		out = append(out, f.Path)
	}
	return out
}

func TestLifecycle(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store)

		// Create, get, list, update with etags.
		ds, err := e.CreateDataset(ctx, "iris", Metadata{Description: "flowers", Tags: []string{"tabular"}, Labels: map[string]string{"team": "ml"}, Owner: "ada"})
		require.NoError(t, err)
		require.Equal(t, "iris", ds.ID)
		require.Empty(t, ds.HeadSnapshot)
		require.False(t, ds.HasDraftChanges)
		require.NotEmpty(t, ds.Etag)
		_, err = e.CreateDataset(ctx, "iris", Metadata{})
		require.ErrorIs(t, err, apierr.ErrAlreadyExists)
		_, err = e.CreateDataset(ctx, "Bad_Name", Metadata{})
		requireInvalid(t, err, "dataset_id")
		_, err = e.CreateDataset(ctx, "x", Metadata{Labels: map[string]string{"bad key!": "v"}})
		requireInvalid(t, err, "dataset.labels")
		_, err = e.CreateDataset(ctx, "other", Metadata{})
		require.NoError(t, err)
		list, next, err := e.ListDatasets(ctx, Page{Size: 1})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, "iris", list[0].ID)
		list, next, err = e.ListDatasets(ctx, Page{Size: 1, Token: next})
		require.NoError(t, err)
		require.Equal(t, "other", list[0].ID)
		require.Empty(t, next)

		up, err := e.UpdateDataset(ctx, "iris", Metadata{Description: "Fisher's iris"}, []string{FieldDescription}, ds.Etag)
		require.NoError(t, err)
		require.Equal(t, "Fisher's iris", up.Description)
		require.Equal(t, "ada", up.Owner, "fields outside the mask stay")
		require.NotEqual(t, ds.Etag, up.Etag)
		_, err = e.UpdateDataset(ctx, "iris", Metadata{Owner: "eve"}, []string{FieldOwner}, ds.Etag)
		require.ErrorIs(t, err, apierr.ErrAborted, "a stale etag loses")
		_, err = e.UpdateDataset(ctx, "iris", Metadata{}, []string{"name"}, "")
		requireInvalid(t, err, "update_mask")

		// Write files; the latest ref has no snapshot yet, the draft has them.
		csv := "sepal,petal\n1,2\n"
		fi := write(t, e, "iris", "data/train.csv", csv)
		require.Equal(t, digestOf(csv), fi.Digest)
		require.Equal(t, "text/csv", fi.MediaType)
		require.Equal(t, `"`+digestOf(csv)+`"`, fi.ETag)
		write(t, e, "iris", "data/test.csv", "sepal,petal\n3,4\n")
		write(t, e, "iris", "README.md", "# iris\n")
		png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 32)
		fi = write(t, e, "iris", "images/noext", png)
		require.Equal(t, "image/png", fi.MediaType, "sniffed")
		_, err = e.StatFile(ctx, "iris", "", "README.md")
		require.ErrorIs(t, err, apierr.ErrNotFound)
		require.Equal(t, csv, read(t, e, "iris", "draft", "data/train.csv"))
		ds, err = e.GetDataset(ctx, "iris")
		require.NoError(t, err)
		require.True(t, ds.HasDraftChanges)

		// Bad input names its field.
		_, err = e.WriteFile(ctx, "iris", "../etc/passwd", strings.NewReader("x"), WriteOptions{})
		requireInvalid(t, err, "path")
		_, err = e.WriteFile(ctx, "iris", "a", strings.NewReader("x"), WriteOptions{ExpectedDigest: "md5:1"})
		requireInvalid(t, err, "expected_digest")
		_, err = e.StatFile(ctx, "iris", "v0", "a")
		requireInvalid(t, err, "ref")

		// Verified writes and conditions.
		_, err = e.WriteFile(ctx, "iris", "bad.txt", strings.NewReader("hello"), WriteOptions{ExpectedDigest: digestOf("other")})
		require.ErrorIs(t, err, apierr.ErrDataLoss)
		_, err = e.WriteFile(ctx, "iris", "bad.txt", strings.NewReader("hello"), WriteOptions{ExpectedSize: 4})
		require.ErrorIs(t, err, apierr.ErrDataLoss)
		_, err = e.StatFile(ctx, "iris", "draft", "bad.txt")
		require.ErrorIs(t, err, apierr.ErrNotFound, "a failed write leaves no trace")
		_, err = store.Stat(ctx, BlobKey(digestOf("hello")))
		require.ErrorIs(t, err, apierr.ErrNotFound, "nor a blob")
		fi, err = e.WriteFile(ctx, "iris", "ok.txt", strings.NewReader("hello"), WriteOptions{ExpectedDigest: digestOf("hello"), ExpectedSize: 5, CreateOnly: true})
		require.NoError(t, err)
		_, err = e.WriteFile(ctx, "iris", "ok.txt", strings.NewReader("again"), WriteOptions{CreateOnly: true})
		require.ErrorIs(t, err, apierr.ErrAlreadyExists)
		_, err = e.WriteFile(ctx, "iris", "ok.txt", strings.NewReader("again"), WriteOptions{IfMatch: `"sha256:` + strings.Repeat("0", 64) + `"`})
		require.ErrorIs(t, err, apierr.ErrAborted)
		_, err = e.WriteFile(ctx, "iris", "ok.txt", strings.NewReader("again"), WriteOptions{IfMatch: fi.ETag})
		require.NoError(t, err)
		require.NoError(t, e.DeleteFile(ctx, "iris", "ok.txt", false))
		require.ErrorIs(t, e.DeleteFile(ctx, "iris", "ok.txt", false), apierr.ErrNotFound)
		require.ErrorIs(t, e.DeleteFile(ctx, "iris", "data", false), apierr.ErrFailedPrecondition)
		write(t, e, "other", "a", "file")
		write(t, e, "other", "a/b", "file in folder")
		require.NoError(t, e.DeleteFile(ctx, "other", "a", false), "a file that is also a folder")
		require.Equal(t, []string{"a/b"}, paths(t, e, "other", "draft"))
		require.NoError(t, e.DeleteFile(ctx, "other", "a", true))
		require.Empty(t, paths(t, e, "other", "draft"))

		// A digest alone never proves possession: naming a stored blob's digest with other bytes fails.
		_, err = e.WriteFile(ctx, "iris", "steal.csv", strings.NewReader("not the csv"), WriteOptions{ExpectedDigest: digestOf(csv)})
		require.ErrorIs(t, err, apierr.ErrDataLoss)
		fi, err = e.WriteFile(ctx, "iris", "dup.csv", strings.NewReader(csv), WriteOptions{ExpectedDigest: digestOf(csv)})
		require.NoError(t, err)
		require.EqualValues(t, len(csv), fi.Size)
		require.NoError(t, e.DeleteFile(ctx, "iris", "dup.csv", false))

		// The blob is stored once, at its own folder, whatever the number of paths holding it.
		write(t, e, "other", "copy.csv", csv)
		rc, _, err := store.Get(ctx, BlobKey(digestOf(csv)), blob.GetOptions{})
		require.NoError(t, err)
		b, _ := io.ReadAll(rc)
		rc.Close()
		require.Equal(t, csv, string(b))
		require.True(t, strings.HasSuffix(BlobKey(digestOf(csv)), "/"+strings.TrimPrefix(digestOf(csv), "sha256:")+"/data"))

		// Snapshot v1.
		s1, err := e.CreateSnapshot(ctx, "iris", SnapshotOptions{Message: "first", Author: "ada"})
		require.NoError(t, err)
		require.EqualValues(t, 1, s1.Sequence)
		require.Equal(t, "v1", s1.Version())
		require.Empty(t, s1.Parent)
		require.Len(t, s1.ID, 64)
		require.Equal(t, snapshotID(s1.ManifestRoot, "", "first", "ada", s1.CreateTime), s1.ID)
		require.EqualValues(t, 4, s1.Stats.FileCount)
		require.Equal(t, []string{"README.md", "data/test.csv", "data/train.csv", "images/noext"}, paths(t, e, "iris", ""))
		_, err = e.CreateSnapshot(ctx, "iris", SnapshotOptions{})
		require.ErrorIs(t, err, apierr.ErrFailedPrecondition, "nothing changed")
		st, err := e.Restore(ctx, "iris", "v1")
		require.NoError(t, err)
		require.Equal(t, DiffStats{}, st)
		_, err = e.CreateSnapshot(ctx, "iris", SnapshotOptions{})
		require.ErrorIs(t, err, apierr.ErrFailedPrecondition, "restoring the head changes nothing")
		ds, err = e.GetDataset(ctx, "iris")
		require.NoError(t, err)
		require.False(t, ds.HasDraftChanges)
		require.Equal(t, s1.ID, ds.HeadSnapshot)
		require.EqualValues(t, 1, ds.SnapshotCount)
		require.EqualValues(t, 4, ds.Stats.FileCount)

		// Modify and snapshot v2 with lineage and an expected head.
		write(t, e, "iris", "data/train.csv", "sepal,petal\n1,2\n5,6\n")
		require.NoError(t, e.DeleteFile(ctx, "iris", "images", true))
		write(t, e, "iris", "data/new.csv", "a\n")
		_, err = e.CreateSnapshot(ctx, "iris", SnapshotOptions{ExpectedHead: strings.Repeat("0", 64)})
		require.ErrorIs(t, err, apierr.ErrAborted)
		s2, err := e.CreateSnapshot(ctx, "iris", SnapshotOptions{Message: "second", Author: "bob", ExpectedHead: s1.ID,
			Lineage: &Lineage{Job: "jobs/j1", Inputs: []string{"datasets/iris/snapshots/" + s1.ID}}})
		require.NoError(t, err)
		require.EqualValues(t, 2, s2.Sequence)
		require.Equal(t, s1.ID, s2.Parent)
		require.Equal(t, "jobs/j1", s2.Lineage.Job)

		// Refs: latest, vN, id prefix, tag, draft.
		require.Equal(t, csv, read(t, e, "iris", "v1", "data/train.csv"))
		require.Equal(t, csv, read(t, e, "iris", s1.ID[:8], "data/train.csv"))
		require.Equal(t, "sepal,petal\n1,2\n5,6\n", read(t, e, "iris", "", "data/train.csv"))
		_, err = e.StatFile(ctx, "iris", "v2", "images/noext")
		require.ErrorIs(t, err, apierr.ErrNotFound)
		got, err := e.GetSnapshot(ctx, "iris", "v1")
		require.NoError(t, err)
		require.Equal(t, s1.ID, got.ID)
		_, err = e.GetSnapshot(ctx, "iris", "v9")
		require.ErrorIs(t, err, apierr.ErrNotFound)
		_, err = e.GetSnapshot(ctx, "iris", "draft")
		requireInvalid(t, err, "name")

		// Ranged reads.
		rc, info, err := e.OpenFile(ctx, "iris", "v2", "data/train.csv", 6, 5)
		require.NoError(t, err)
		b, _ = io.ReadAll(rc)
		rc.Close()
		require.Equal(t, "petal", string(b))
		require.EqualValues(t, 20, info.Size)
		_, _, err = e.OpenFile(ctx, "iris", "v2", "data/train.csv", 21, 0)
		require.ErrorIs(t, err, apierr.ErrOutOfRange)

		// Non-recursive listing with folders, paginated.
		write(t, e, "iris", "data/sub/x.csv", "x\n")
		l, err := e.ListFiles(ctx, "iris", "draft", ListFilesOptions{Prefix: "data/", Page: Page{Size: 2}})
		require.NoError(t, err)
		require.Equal(t, "draft", l.Resolved)
		require.Equal(t, []string{"data/new.csv"}, filePaths(l))
		require.Equal(t, []string{"data/sub/"}, l.Folders)
		require.NotEmpty(t, l.NextToken)
		l2, err := e.ListFiles(ctx, "iris", "draft", ListFilesOptions{Prefix: "data/", Page: Page{Size: 2, Token: l.NextToken}})
		require.NoError(t, err)
		require.Equal(t, []string{"data/test.csv", "data/train.csv"}, filePaths(l2))
		require.Empty(t, l2.NextToken)
		_, err = e.ListFiles(ctx, "iris", "v1", ListFilesOptions{Prefix: "data/", Page: Page{Size: 2, Token: l.NextToken}})
		requireInvalid(t, err, "page_token")
		root, err := e.ListFiles(ctx, "iris", "", ListFilesOptions{})
		require.NoError(t, err)
		require.Equal(t, []string{"README.md"}, filePaths(root))
		require.Equal(t, []string{"data/"}, root.Folders)
		require.Equal(t, s2.ID, root.Resolved)

		// Diff v1 → v2, whole and by prefix and paged; draft against head by default.
		d, err := e.Diff(ctx, "iris", DiffOptions{From: "v1", To: "v2"})
		require.NoError(t, err)
		require.Equal(t, DiffStats{Added: 1, Removed: 1, Modified: 1, BytesDelta: 2 + 4 - int64(len(png))}, d.Stats)
		require.Equal(t, []string{"+data/new.csv", "~data/train.csv", "-images/noext"}, changeList(d.Changes))
		d, err = e.Diff(ctx, "iris", DiffOptions{To: "v2", PathPrefix: "data/", Page: Page{Size: 1}})
		require.NoError(t, err)
		require.Equal(t, s1.ID, d.From)
		require.Equal(t, []string{"+data/new.csv"}, changeList(d.Changes))
		d, err = e.Diff(ctx, "iris", DiffOptions{To: "v2", PathPrefix: "data/", Page: Page{Size: 1, Token: d.NextToken}})
		require.NoError(t, err)
		require.Equal(t, []string{"~data/train.csv"}, changeList(d.Changes))
		require.Empty(t, d.NextToken)
		d, err = e.Diff(ctx, "iris", DiffOptions{})
		require.NoError(t, err)
		require.Equal(t, DraftRef, d.To)
		require.Equal(t, []string{"+data/sub/x.csv"}, changeList(d.Changes))
		d, err = e.Diff(ctx, "iris", DiffOptions{To: "v1"})
		require.NoError(t, err)
		require.EqualValues(t, 4, d.Stats.Added, "the first snapshot diffs against nothing")

		// Tags.
		tag, err := e.CreateTag(ctx, "iris", "prod", "v1", "ada", false)
		require.NoError(t, err)
		require.Equal(t, s1.ID, tag.Snapshot)
		_, err = e.CreateTag(ctx, "iris", "prod", "v2", "ada", false)
		require.ErrorIs(t, err, apierr.ErrAlreadyExists)
		_, err = e.CreateTag(ctx, "iris", "v3", "v2", "ada", false)
		requireInvalid(t, err, "tag_id")
		require.Equal(t, csv, read(t, e, "iris", "prod", "data/train.csv"))
		_, err = e.CreateTag(ctx, "iris", "prod", "v2", "ada", true)
		require.NoError(t, err)
		_, err = e.CreateTag(ctx, "iris", "best", "v2", "ada", false)
		require.NoError(t, err)
		got, err = e.GetSnapshot(ctx, "iris", "prod")
		require.NoError(t, err)
		require.Equal(t, s2.ID, got.ID)
		require.Equal(t, []string{"best", "prod"}, got.Tags)
		tags, next, err := e.ListTags(ctx, "iris", Page{Size: 1})
		require.NoError(t, err)
		require.Equal(t, "best", tags[0].ID)
		tags, _, err = e.ListTags(ctx, "iris", Page{Size: 1, Token: next})
		require.NoError(t, err)
		require.Equal(t, "prod", tags[0].ID)
		require.NoError(t, e.DeleteTag(ctx, "iris", "prod"))
		require.ErrorIs(t, e.DeleteTag(ctx, "iris", "prod"), apierr.ErrNotFound)
		_, err = e.GetSnapshot(ctx, "iris", "prod")
		require.ErrorIs(t, err, apierr.ErrNotFound)

		// Restore v1 into the draft, snapshot it as v3 on top of v2.
		st, err = e.Restore(ctx, "iris", "v1")
		require.NoError(t, err)
		require.Equal(t, DiffStats{Added: 1, Removed: 2, Modified: 1, BytesDelta: int64(len(png)) - 4 - 2 - 2}, st)
		require.Equal(t, paths(t, e, "iris", "v1"), paths(t, e, "iris", "draft"))
		s3, err := e.CreateSnapshot(ctx, "iris", SnapshotOptions{Message: "restore v1"})
		require.NoError(t, err)
		require.EqualValues(t, 3, s3.Sequence)
		require.Equal(t, s2.ID, s3.Parent)
		require.Equal(t, s1.ManifestRoot, s3.ManifestRoot, "same content, same tree")
		write(t, e, "iris", "after.txt", "z")
		require.Contains(t, paths(t, e, "iris", "draft"), "after.txt")

		// History, newest first, paged.
		snaps, next, err := e.ListSnapshots(ctx, "iris", Page{Size: 2})
		require.NoError(t, err)
		require.Equal(t, []int64{3, 2}, seqs(snaps))
		require.Equal(t, []string{"best"}, snaps[1].Tags)
		snaps, next, err = e.ListSnapshots(ctx, "iris", Page{Size: 2, Token: next})
		require.NoError(t, err)
		require.Equal(t, []int64{1}, seqs(snaps))
		require.Empty(t, next)

		// An ambiguous id prefix: make snapshots until two ids share a first hex digit… too slow to force;
		// instead check that a 6-digit prefix of a real id resolves and an absent one is NotFound.
		_, err = e.GetSnapshot(ctx, "iris", s2.ID[:6])
		require.NoError(t, err)
		_, err = e.GetSnapshot(ctx, "iris", "abcdef0123")
		if s := s1.ID + s2.ID + s3.ID; !strings.Contains(s, "abcdef0123") {
			require.ErrorIs(t, err, apierr.ErrNotFound)
		}

		// Delete; the id can be reused and starts empty.
		require.ErrorIs(t, e.DeleteDataset(ctx, "iris", "stale"), apierr.ErrAborted)
		require.NoError(t, e.DeleteDataset(ctx, "iris", ""))
		_, err = e.GetDataset(ctx, "iris")
		require.ErrorIs(t, err, apierr.ErrNotFound)
		_, err = e.CreateDataset(ctx, "iris", Metadata{})
		require.NoError(t, err)
		require.Empty(t, paths(t, e, "iris", "draft"))
		_, err = e.GetSnapshot(ctx, "iris", "")
		require.ErrorIs(t, err, apierr.ErrNotFound)
		list, _, err = e.ListDatasets(ctx, Page{})
		require.NoError(t, err)
		require.Len(t, list, 2)
	})
}

func TestAmbiguousIDPrefix(t *testing.T) {
	ctx := context.Background()
	e := New(newFS(t, t.TempDir()))
	_, err := e.CreateDataset(ctx, "d", Metadata{})
	require.NoError(t, err)
	// Ids are random-looking: among 17 snapshots two share a first hex digit (pigeonhole), but the shortest
	// accepted prefix is 6 digits, so instead make the id index hold two ids with a common 6-digit prefix.
	s1, err := e.CreateSnapshot(ctx, "d", SnapshotOptions{AllowEmpty: true})
	require.NoError(t, err)
	dd, err := e.open(ctx, access.Reader, "name", "d")
	require.NoError(t, err)
	_, err = putJSON(ctx, e.blobs, dd.keys.snapID(s1.ID[:6]+strings.Repeat("0", 58)), idIndex{Seq: 1}, blob.PutOptions{})
	require.NoError(t, err)
	_, err = e.GetSnapshot(ctx, "d", s1.ID[:6])
	require.ErrorIs(t, err, apierr.ErrFailedPrecondition)
	_, err = e.GetSnapshot(ctx, "d", s1.ID[:10])
	require.NoError(t, err)
}

func filePaths(l *FileList) []string {
	var out []string
	for _, f := range l.Files {
		out = append(out, f.Path)
	}
	return out
}

func changeList(cs []*FileChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, map[ChangeType]string{Added: "+", Removed: "-", Modified: "~"}[c.Type]+c.Path)
	}
	return out
}

func seqs(s []*Snapshot) []int64 {
	var out []int64
	for _, x := range s {
		out = append(out, x.Sequence)
	}
	return out
}
