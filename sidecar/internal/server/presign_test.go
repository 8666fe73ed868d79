package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// TestPresignedURLsOnMinIO: a client uploads and downloads with presigned URLs straight against MinIO; the
// upload enters the draft only when committed, verified.
func TestPresignedURLsOnMinIO(t *testing.T) {
	s, _ := startSidecarOnMinIO(t)
	ctx := s.authed()
	fc := kamldv1.NewFileServiceClient(s.conn)
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(ctx, &kamldv1.CreateDatasetRequest{DatasetId: "direct"})
	require.NoError(t, err)

	up, err := fc.SignFileUrl(ctx, &kamldv1.SignFileUrlRequest{Dataset: "datasets/direct", Path: "big/part-0.csv", Method: "PUT"})
	require.NoError(t, err)
	require.NotEmpty(t, up.GetUploadId())
	content := strings.Repeat("x,y\n1,2\n", 1000)
	req, _ := http.NewRequest(http.MethodPut, up.GetUrl(), strings.NewReader(content))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	_, err = fc.StatFile(ctx, &kamldv1.StatFileRequest{Dataset: "datasets/direct", Path: "big/part-0.csv", Ref: "draft"})
	assert.Equal(t, codes.NotFound, status.Code(err), "not in the draft before the commit")
	_, err = fc.CommitSignedUpload(ctx, &kamldv1.CommitSignedUploadRequest{Dataset: "datasets/direct", UploadId: up.GetUploadId(), ExpectedDigest: "sha256:" + strings.Repeat("0", 64)})
	assert.Equal(t, codes.DataLoss, status.Code(err), "a digest mismatch is refused")
	info, err := fc.CommitSignedUpload(ctx, &kamldv1.CommitSignedUploadRequest{Dataset: "datasets/direct", UploadId: up.GetUploadId()})
	require.NoError(t, err)
	assert.Equal(t, int64(len(content)), info.GetSize())
	_, err = fc.CommitSignedUpload(ctx, &kamldv1.CommitSignedUploadRequest{Dataset: "datasets/direct", UploadId: up.GetUploadId()})
	assert.Equal(t, codes.NotFound, status.Code(err), "an upload commits once")

	down, err := fc.SignFileUrl(ctx, &kamldv1.SignFileUrlRequest{Dataset: "datasets/direct", Path: "big/part-0.csv", Ref: "draft", Method: "GET"})
	require.NoError(t, err)
	resp, err = http.Get(down.GetUrl())
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, content, string(body))
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "part-0.csv")

	for name, bad := range map[string]*kamldv1.SignFileUrlRequest{
		"method": {Dataset: "datasets/direct", Path: "a.csv", Method: "DELETE"},
		"ttl":    {Dataset: "datasets/direct", Path: "a.csv", Method: "GET", Ttl: durationpb.New(8 * 24 * time.Hour)},
		"path":   {Dataset: "datasets/direct", Path: "../a.csv", Method: "PUT"},
	} {
		_, err := fc.SignFileUrl(ctx, bad)
		assert.Equal(t, codes.InvalidArgument, status.Code(err), name)
	}
	_, err = fc.CommitSignedUpload(ctx, &kamldv1.CommitSignedUploadRequest{Dataset: "datasets/direct", UploadId: "../../etc"})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
}

func TestPresignedURLsNeedAnObjectStore(t *testing.T) {
	s := startSidecar(t)
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "local"})
	require.NoError(t, err)
	_, err = kamldv1.NewFileServiceClient(s.conn).SignFileUrl(s.authed(), &kamldv1.SignFileUrlRequest{Dataset: "datasets/local", Path: "a.csv", Method: "PUT"})
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "fs blob store has no presigned URLs")
	code, body, _ := s.rest(t, "POST", "/v1/datasets/local:signFileUrl", `{"path":"a.csv","method":"GET"}`, s.bearer())
	assert.Equal(t, http.StatusBadRequest, code, body)
}
