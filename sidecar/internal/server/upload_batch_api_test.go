package server_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// uploadBatch sends msgs as one UploadFiles stream.
func uploadBatch(ctx context.Context, s *sidecar, msgs ...*kamldv1.UploadFilesRequest) (*kamldv1.UploadFilesResponse, error) {
	stream, err := kamldv1.NewBatchUploadServiceClient(s.conn).UploadFiles(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if stream.Send(m) != nil {
			break // answered early: CloseAndRecv says why
		}
	}
	return stream.CloseAndRecv()
}

func bfile(path, content string) *kamldv1.BatchFile {
	return &kamldv1.BatchFile{Path: path, Content: []byte(content)}
}

func sha(content string) string {
	s := sha256.Sum256([]byte(content))
	return "sha256:" + hex.EncodeToString(s[:])
}

// draftFiles lists the draft as "path digest size media type" lines: what two stores must agree on.
func draftFiles(t *testing.T, s *sidecar, ds string) []string {
	t.Helper()
	resp, err := kamldv1.NewFileServiceClient(s.conn).ListFiles(s.authed(), &kamldv1.ListFilesRequest{Dataset: "datasets/" + ds, Ref: "draft", Recursive: true, PageSize: 1000})
	require.NoError(t, err)
	var out []string
	for _, f := range resp.GetFiles() {
		out = append(out, fmt.Sprintf("%s %s %d %s", f.GetPath(), f.GetDigest(), f.GetSize(), f.GetMediaType()))
	}
	return out
}

func createDataset(t *testing.T, s *sidecar, id string) {
	t.Helper()
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: id, Dataset: &kamldv1.Dataset{}})
	require.NoError(t, err)
}

// A batch over several messages lands whole: every file readable in the draft, the answer in the order sent,
// one snapshot records them; a later batch and a later single write of the same path each win in turn.
func TestUploadFiles_Batch(t *testing.T) {
	s := startSidecar(t)
	createDataset(t, s, "imgs")
	ctx := s.authed()
	resp, err := uploadBatch(ctx, s,
		&kamldv1.UploadFilesRequest{Dataset: "datasets/imgs", Files: []*kamldv1.BatchFile{bfile("a/1.txt", "one"), bfile("a/2.csv", "x,y\n1,2\n")}},
		&kamldv1.UploadFilesRequest{Files: []*kamldv1.BatchFile{{Path: "b/empty", Content: nil, ExpectedDigest: sha("")}, {Path: "b/doc", Content: []byte("{}"), MediaType: "application/json"}}},
		&kamldv1.UploadFilesRequest{Dataset: "datasets/imgs"}, // repeating the name is allowed
	)
	require.NoError(t, err)
	var got []string
	for _, f := range resp.GetFiles() {
		got = append(got, f.GetPath()+" "+f.GetDigest())
	}
	assert.Equal(t, []string{"a/1.txt " + sha("one"), "a/2.csv " + sha("x,y\n1,2\n"), "b/empty " + sha(""), "b/doc " + sha("{}")}, got)
	assert.Equal(t, "application/json", resp.GetFiles()[3].GetMediaType())
	assert.Equal(t, "text/csv", strings.Split(resp.GetFiles()[1].GetMediaType(), ";")[0], "guessed as WriteFile guesses")

	code, body, _ := s.rest(t, "GET", "/v1/datasets/imgs/content/a/1.txt?ref=draft", "", s.bearer())
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "one", body)
	snap, err := kamldv1.NewSnapshotServiceClient(s.conn).CreateSnapshot(ctx, &kamldv1.CreateSnapshotRequest{Parent: "datasets/imgs", Message: "batch"})
	require.NoError(t, err)
	assert.EqualValues(t, 4, snap.GetStats().GetFileCount())

	// Order in the draft: single write, then a batch over it, then a conditional single write over that.
	writeFile(t, s, "imgs", "c.txt", "single")
	_, err = uploadBatch(ctx, s, &kamldv1.UploadFilesRequest{Dataset: "datasets/imgs", Files: []*kamldv1.BatchFile{bfile("c.txt", "batch")}})
	require.NoError(t, err)
	_, body, _ = s.rest(t, "GET", "/v1/datasets/imgs/content/c.txt?ref=draft", "", s.bearer())
	assert.Equal(t, "batch", body, "the later batch wins")
	code, body, _ = s.rest(t, "PUT", "/v1/datasets/imgs/content/c.txt", "single again", map[string]string{"Authorization": "Bearer " + s.token, "If-Match": `"` + sha("batch") + `"`})
	require.Equal(t, http.StatusOK, code, "if-match sees the batch's version: %s", body)
	_, body, _ = s.rest(t, "GET", "/v1/datasets/imgs/content/c.txt?ref=draft", "", s.bearer())
	assert.Equal(t, "single again", body, "the later conditional write wins over the batch")
}

// Every bad batch is INVALID_ARGUMENT naming the field (file index counted over the whole stream), and
// writes nothing: the draft is as it was.
func TestUploadFiles_BadInput(t *testing.T) {
	s := startSidecar(t)
	createDataset(t, s, "d")
	ctx := s.authed()
	ok := bfile("ok.txt", "fine")
	msg := func(files ...*kamldv1.BatchFile) *kamldv1.UploadFilesRequest {
		return &kamldv1.UploadFilesRequest{Dataset: "datasets/d", Files: files}
	}
	many := make([]*kamldv1.BatchFile, 10_001)
	for i := range many {
		many[i] = bfile(fmt.Sprintf("m/%05d", i), "")
	}
	cases := []struct {
		name  string
		msgs  []*kamldv1.UploadFilesRequest
		field string
	}{
		{"empty stream", nil, "dataset"},
		{"no dataset", []*kamldv1.UploadFilesRequest{{Files: []*kamldv1.BatchFile{ok}}}, "dataset"},
		{"bad dataset name", []*kamldv1.UploadFilesRequest{{Dataset: "sets/d", Files: []*kamldv1.BatchFile{ok}}}, "dataset"},
		{"another dataset later", []*kamldv1.UploadFilesRequest{msg(ok), {Dataset: "datasets/e", Files: []*kamldv1.BatchFile{bfile("x", "")}}}, "dataset"},
		{"no file", []*kamldv1.UploadFilesRequest{msg()}, "files"},
		{"empty path", []*kamldv1.UploadFilesRequest{msg(ok, bfile("", "x"))}, "files[1].path"},
		{"absolute path", []*kamldv1.UploadFilesRequest{msg(ok, bfile("/etc/x", "x"))}, "files[1].path"},
		{"dot-dot path", []*kamldv1.UploadFilesRequest{msg(ok, bfile("a/../b", "x"))}, "files[1].path"},
		{"trailing slash", []*kamldv1.UploadFilesRequest{msg(ok, bfile("a/", "x"))}, "files[1].path"},
		{"duplicate path across messages", []*kamldv1.UploadFilesRequest{msg(ok), {Files: []*kamldv1.BatchFile{bfile("b", ""), bfile("ok.txt", "again")}}}, "files[2].path"},
		{"digest mismatch", []*kamldv1.UploadFilesRequest{msg(ok, &kamldv1.BatchFile{Path: "x", Content: []byte("x"), ExpectedDigest: sha("y")})}, "files[1].expected_digest"},
		{"malformed digest", []*kamldv1.UploadFilesRequest{msg(&kamldv1.BatchFile{Path: "x", ExpectedDigest: "md5:abc"}, ok)}, "files[0].expected_digest"},
		{"uppercase digest", []*kamldv1.UploadFilesRequest{msg(&kamldv1.BatchFile{Path: "x", Content: []byte("x"), ExpectedDigest: strings.ToUpper(sha("x"))})}, "files[0].expected_digest"},
		{"bad media type", []*kamldv1.UploadFilesRequest{msg(ok, &kamldv1.BatchFile{Path: "x", MediaType: "not a type"})}, "files[1].media_type"},
		{"file over 1 MiB", []*kamldv1.UploadFilesRequest{msg(ok, &kamldv1.BatchFile{Path: "big", Content: make([]byte, 1<<20+1)})}, "files[1].content"},
		{"more than 10,000 files", []*kamldv1.UploadFilesRequest{msg(many[:5000]...), {Files: many[5000:]}}, "files"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := uploadBatch(ctx, s, c.msgs...)
			assertInvalidArgumentWithField(t, err, c.field)
			assert.Empty(t, draftFiles(t, s, "d"), "a refused batch writes nothing")
		})
	}

	_, err := uploadBatch(ctx, s, &kamldv1.UploadFilesRequest{Dataset: "datasets/nope", Files: []*kamldv1.BatchFile{ok}})
	assert.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	_, err = uploadBatch(ctx, s, &kamldv1.UploadFilesRequest{Dataset: "datasets/d@nobranch", Files: []*kamldv1.BatchFile{ok}})
	assert.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	_, err = uploadBatch(s.withToken("wrong"), s, msg(ok))
	assert.Equal(t, codes.Unauthenticated, status.Code(err), "%v", err)
	assert.Empty(t, draftFiles(t, s, "d"))
}

func tarOf(t *testing.T, files map[string]string, order ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "./dir/", Typeflag: tar.TypeDir, Mode: 0o755}))
	for _, name := range order {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[name]))}))
		_, err := io.WriteString(tw, files[name])
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

// Over REST the batch is a tar archive; the same rules hold (a bad file refuses the whole archive).
func TestUploadFiles_REST(t *testing.T) {
	s := startSidecar(t)
	createDataset(t, s, "t")
	hdr := map[string]string{"Authorization": "Bearer " + s.token, "Content-Type": "application/x-tar"}
	body := tarOf(t, map[string]string{"./dir/a.txt": "A", "dir/b.txt": "BB"}, "./dir/a.txt", "dir/b.txt")
	code, resp, _ := s.rest(t, "POST", "/v1/datasets/t/files:upload", string(body), hdr)
	require.Equal(t, http.StatusOK, code, resp)
	var out struct {
		Files []struct {
			Path, Digest string
			Size         string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(resp), &out))
	require.Len(t, out.Files, 2)
	assert.Equal(t, "dir/a.txt", out.Files[0].Path)
	assert.Equal(t, sha("BB"), out.Files[1].Digest)
	assert.Len(t, draftFiles(t, s, "t"), 2)

	bad := tarOf(t, map[string]string{"c": "C", "/abs": "x"}, "c", "/abs")
	code, resp, _ = s.rest(t, "POST", "/v1/datasets/t/files:upload", string(bad), hdr)
	assert.Equal(t, http.StatusBadRequest, code, resp)
	assert.Contains(t, resp, "files[1].path")
	code, resp, _ = s.rest(t, "POST", "/v1/datasets/t/files:upload", "not a tar archive at all, but long enough to need a header block", hdr)
	assert.Equal(t, http.StatusBadRequest, code, resp)
	code, resp, _ = s.rest(t, "POST", "/v1/datasets/t/files:upload", string(body), map[string]string{"Authorization": "Bearer " + s.token, "Content-Type": "application/zip"})
	assert.Equal(t, http.StatusBadRequest, code, resp)
	code, _, _ = s.rest(t, "POST", "/v1/datasets/t/files:upload", string(body), map[string]string{"Content-Type": "application/x-tar"})
	assert.Equal(t, http.StatusUnauthorized, code)
	code, resp, _ = s.rest(t, "POST", "/v1/datasets/missing/files:upload", string(body), hdr)
	assert.Equal(t, http.StatusNotFound, code, resp)
	assert.Len(t, draftFiles(t, s, "t"), 2, "refused archives wrote nothing")
}

// The same batch gives the same draft on the local store and on real MinIO: paths, digests, sizes and media
// types (times differ by nature).
func TestUploadFiles_SameOnFSAndMinIO(t *testing.T) {
	fsSide := startSidecar(t)
	s3Side, _ := startSidecarOnMinIO(t)
	var files []*kamldv1.BatchFile
	for i := range 300 {
		files = append(files, bfile(fmt.Sprintf("f/%03d/x.csv", i), fmt.Sprintf("id,v\n%d,%d\n", i, i%7)))
	}
	files = append(files, bfile("same1", "dup"), bfile("same2", "dup"), bfile("empty", ""))
	for _, s := range []*sidecar{fsSide, s3Side} {
		createDataset(t, s, "c")
		_, err := uploadBatch(s.authed(), s, &kamldv1.UploadFilesRequest{Dataset: "datasets/c", Files: files[:150]}, &kamldv1.UploadFilesRequest{Files: files[150:]})
		require.NoError(t, err)
	}
	want := draftFiles(t, fsSide, "c")
	assert.Len(t, want, len(files))
	assert.Equal(t, want, draftFiles(t, s3Side, "c"))
	for _, s := range []*sidecar{fsSide, s3Side} {
		snap, err := kamldv1.NewSnapshotServiceClient(s.conn).CreateSnapshot(s.authed(), &kamldv1.CreateSnapshotRequest{Parent: "datasets/c", Message: "m"})
		require.NoError(t, err)
		assert.EqualValues(t, len(files), snap.GetStats().GetFileCount())
	}
}
