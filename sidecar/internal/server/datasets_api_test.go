package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/config"
)

// writeFile streams content into the draft over gRPC in small chunks.
func writeFile(t *testing.T, s *sidecar, ds, path, content string) *kamldv1.FileInfo {
	t.Helper()
	stream, err := kamldv1.NewFileServiceClient(s.conn).WriteFile(s.authed())
	require.NoError(t, err)
	require.NoError(t, stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Header{Header: &kamldv1.WriteFileHeader{Dataset: "datasets/" + ds, Path: path}}}))
	for chunk := range strings.SplitSeq(content, "\n") {
		require.NoError(t, stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Data{Data: []byte(chunk + "\n")}}))
	}
	info, err := stream.CloseAndRecv()
	require.NoError(t, err)
	return info
}

func TestDatasetLifecycle_GRPCAndREST(t *testing.T) {
	s := startSidecar(t)
	dsc, snc, fc := kamldv1.NewDatasetServiceClient(s.conn), kamldv1.NewSnapshotServiceClient(s.conn), kamldv1.NewFileServiceClient(s.conn)
	ctx := s.authed("x-kamld-user", "alice")

	// Create over REST, read back over gRPC.
	code, body, _ := s.rest(t, "POST", "/v1/datasets?datasetId=iris", `{"description":"Fisher's irises","tags":["tabular"]}`, s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	d, err := dsc.GetDataset(ctx, &kamldv1.GetDatasetRequest{Name: "datasets/iris"})
	require.NoError(t, err)
	assert.Equal(t, "Fisher's irises", d.GetDescription())
	assert.Equal(t, "tester", d.GetOwner(), "owner defaults to the creating identity")

	info := writeFile(t, s, "iris", "data/iris.csv", "sepal_length,species\n5.1,setosa")
	assert.Equal(t, "text/csv", strings.Split(info.GetMediaType(), ";")[0])
	v1, err := snc.CreateSnapshot(ctx, &kamldv1.CreateSnapshotRequest{Parent: "datasets/iris", Message: "first"})
	require.NoError(t, err)
	assert.Equal(t, "v1", v1.GetVersion())
	assert.Equal(t, "alice", v1.GetAuthor())

	writeFile(t, s, "iris", "data/iris.csv", "sepal_length,species\n5.1,setosa\n7.0,versicolor")
	writeFile(t, s, "iris", "README.md", "# iris")
	v2, err := snc.CreateSnapshot(ctx, &kamldv1.CreateSnapshotRequest{Parent: "datasets/iris", Message: "second"})
	require.NoError(t, err)
	assert.Equal(t, v1.GetName(), v2.GetParent())

	diff, err := snc.DiffSnapshots(ctx, &kamldv1.DiffSnapshotsRequest{Dataset: "datasets/iris", FromRef: "v1", ToRef: "v2"})
	require.NoError(t, err)
	assert.Equal(t, int64(1), diff.GetStats().GetAdded())
	assert.Equal(t, int64(1), diff.GetStats().GetModified())

	// Download v1 over REST as raw bytes; list v2 over REST.
	resp := s.raw(t, "GET", "/v1/datasets/iris/content/data/iris.csv?ref=v1")
	assert.Equal(t, http.StatusOK, resp.code)
	assert.Equal(t, "sepal_length,species\n5.1,setosa\n", resp.body)
	assert.Equal(t, info.GetEtag(), resp.header.Get("ETag"))
	code, body, _ = s.rest(t, "GET", "/v1/datasets/iris/files?ref=v2&recursive=true", "", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	var list struct{ Files []struct{ Path string } }
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	assert.Len(t, list.Files, 2)

	// Stat over REST, at the root and in a folder (the listing route must not swallow either).
	for _, p := range []string{"README.md", "data/iris.csv"} {
		code, body, _ = s.rest(t, "GET", "/v1/datasets/iris/files/"+p+"?ref=v2", "", s.bearer())
		require.Equal(t, http.StatusOK, code, body)
		assert.Contains(t, body, `"path":"`+p+`"`)
	}

	// Restore v1 into the draft, tag, and read the tag.
	restored, err := snc.RestoreSnapshot(ctx, &kamldv1.RestoreSnapshotRequest{Name: "datasets/iris/snapshots/v1"})
	require.NoError(t, err)
	assert.Equal(t, int64(1), restored.GetChanges().GetRemoved())
	_, err = snc.CreateTag(ctx, &kamldv1.CreateTagRequest{Parent: "datasets/iris", TagId: "prod", Tag: &kamldv1.Tag{Snapshot: "v2"}})
	require.NoError(t, err)
	got, err := snc.GetSnapshot(ctx, &kamldv1.GetSnapshotRequest{Name: "datasets/iris/snapshots/prod"})
	require.NoError(t, err)
	assert.Equal(t, v2.GetId(), got.GetId())
	st, err := fc.StatFile(ctx, &kamldv1.StatFileRequest{Dataset: "datasets/iris", Path: "README.md", Ref: "draft"})
	assert.Equal(t, codes.NotFound, status.Code(err), "restored draft has no README: %v", st)
}

func TestDatasetBadInput_GRPCAndREST(t *testing.T) {
	s := startSidecar(t)
	dsc := kamldv1.NewDatasetServiceClient(s.conn)
	for _, id := range []string{"Iris", "../etc", "a b", strings.Repeat("x", 64), "iris\u202e"} {
		_, err := dsc.CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: id})
		assert.Equal(t, codes.InvalidArgument, status.Code(err), id)
	}
	code, body, _ := s.rest(t, "POST", "/v1/datasets?datasetId=Iris", `{}`, s.bearer())
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, `"field":"dataset_id"`)

	_, err := dsc.GetDataset(s.authed(), &kamldv1.GetDatasetRequest{Name: "datasets/missing"})
	assert.Equal(t, codes.NotFound, status.Code(err))
	code, _, _ = s.rest(t, "GET", "/v1/datasets/missing", "", s.bearer())
	assert.Equal(t, http.StatusNotFound, code)

	_, err = dsc.CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "dup"})
	require.NoError(t, err)
	_, err = dsc.CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "dup"})
	assert.Equal(t, codes.AlreadyExists, status.Code(err))
	code, _, _ = s.rest(t, "POST", "/v1/datasets?datasetId=dup", `{}`, s.bearer())
	assert.Equal(t, http.StatusConflict, code)

	for _, p := range []string{"../x", "/abs", "a//b", "a\x00b"} {
		stream, err := kamldv1.NewFileServiceClient(s.conn).WriteFile(s.authed())
		require.NoError(t, err)
		require.NoError(t, stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Header{Header: &kamldv1.WriteFileHeader{Dataset: "datasets/dup", Path: p}}}))
		_, err = stream.CloseAndRecv()
		assert.Equal(t, codes.InvalidArgument, status.Code(err), "%q", p)
	}
	code, _, _ = s.rest(t, "GET", "/v1/datasets/dup/files?ref=v0", "", s.bearer())
	assert.Equal(t, http.StatusBadRequest, code)
}

type rawResponse struct {
	code   int
	body   string
	header http.Header
}

func (s *sidecar) raw(t *testing.T, method, path string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, s.baseURL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawResponse{resp.StatusCode, string(b), resp.Header}
}

func TestRawUploadAndDownload(t *testing.T) {
	// A JSON body limit of 64 KiB must not limit file uploads, which stream.
	s := startSidecar(t, func(c *config.Config) { c.Limits.MaxMessageBytes = 64 << 10 })
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "blobs"})
	require.NoError(t, err)
	content := strings.Repeat("0123456789abcdef", 20<<10) // 320 KiB
	req, _ := http.NewRequest("PUT", s.baseURL+"/v1/datasets/blobs/content/dir/big.bin", strings.NewReader(content))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := s.http.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	var info struct{ Size, Etag string }
	require.NoError(t, json.Unmarshal(b, &info))
	assert.Equal(t, "327680", info.Size)

	full := s.rawWith(t, "GET", "/v1/datasets/blobs/content/dir/big.bin?ref=draft", nil)
	assert.Equal(t, http.StatusOK, full.code)
	assert.Equal(t, content, full.body)
	assert.Equal(t, "application/octet-stream", full.header.Get("Content-Type"))
	etag := full.header.Get("ETag")
	require.NotEmpty(t, etag)

	part := s.rawWith(t, "GET", "/v1/datasets/blobs/content/dir/big.bin?ref=draft", map[string]string{"Range": "bytes=16-31"})
	assert.Equal(t, http.StatusPartialContent, part.code)
	assert.Equal(t, content[16:32], part.body)
	assert.Equal(t, "bytes 16-31/327680", part.header.Get("Content-Range"))
	tail := s.rawWith(t, "GET", "/v1/datasets/blobs/content/dir/big.bin?ref=draft", map[string]string{"Range": "bytes=-5"})
	assert.Equal(t, content[len(content)-5:], tail.body)

	notModified := s.rawWith(t, "GET", "/v1/datasets/blobs/content/dir/big.bin?ref=draft", map[string]string{"If-None-Match": etag})
	assert.Equal(t, http.StatusNotModified, notModified.code)
	assert.Empty(t, notModified.body)

	outside := s.rawWith(t, "GET", "/v1/datasets/blobs/content/dir/big.bin?ref=draft", map[string]string{"Range": "bytes=999999-"})
	assert.Equal(t, http.StatusRequestedRangeNotSatisfiable, outside.code)

	missing := s.rawWith(t, "GET", "/v1/datasets/blobs/content/nope.bin?ref=draft", nil)
	assert.Equal(t, http.StatusNotFound, missing.code)
	assert.Equal(t, int(codes.NotFound), decodeStatus(t, missing.body).Code)
	noToken := s.rawWith(t, "GET", "/v1/datasets/blobs/content/dir/big.bin?ref=draft", map[string]string{"Authorization": ""})
	assert.Equal(t, http.StatusUnauthorized, noToken.code)
	traversal := s.rawWith(t, "PUT", "/v1/datasets/blobs/content/a/%2e%2e/%2e%2e/etc/passwd", nil)
	assert.Equal(t, http.StatusBadRequest, traversal.code, traversal.body)
}

func (s *sidecar) rawWith(t *testing.T, method, path string, headers map[string]string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, s.baseURL+path, strings.NewReader(""))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.token)
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := s.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawResponse{resp.StatusCode, string(b), resp.Header}
}
