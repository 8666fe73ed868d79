package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// TestMinIOOutage: with the s3 blob store, a stopped MinIO makes calls answer UNAVAILABLE (503 over REST) with
// a message naming the store, readiness goes down, and everything works again, data intact, when it returns.
func TestMinIOOutage(t *testing.T) {
	s, srv := startSidecarOnMinIO(t)
	dsc := kamldv1.NewDatasetServiceClient(s.conn)
	_, err := dsc.CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "survivor", Dataset: &kamldv1.Dataset{Description: "kept"}})
	require.NoError(t, err)

	srv.Stop()
	_, err = dsc.GetDataset(s.authed(), &kamldv1.GetDatasetRequest{Name: "datasets/survivor"})
	require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	assert.NotEmpty(t, status.Convert(err).Message())
	code, body, _ := s.rest(t, "GET", "/v1/datasets/survivor", "", s.bearer())
	assert.Equal(t, http.StatusServiceUnavailable, code, body)
	assert.Equal(t, int(codes.Unavailable), decodeStatus(t, body).Code)
	require.Eventually(t, func() bool {
		code, _, _ := s.rest(t, "GET", "/readyz", "", nil)
		return code == http.StatusServiceUnavailable
	}, 10*time.Second, 100*time.Millisecond, "readiness follows the store")

	srv.Restart()
	require.Eventually(t, func() bool {
		d, err := dsc.GetDataset(s.authed(), &kamldv1.GetDatasetRequest{Name: "datasets/survivor"})
		return err == nil && d.GetDescription() == "kept"
	}, 30*time.Second, 200*time.Millisecond, "service resumes when MinIO returns")
}
