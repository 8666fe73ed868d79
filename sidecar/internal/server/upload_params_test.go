package server_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// A raw upload's boolean parameter that does not parse is refused, as the gateway refuses one on its routes;
// it used to be read as false and the write went ahead (found by the API fuzz run).
func TestRawUploadRefusesABadBoolean(t *testing.T) {
	s := startSidecar(t)
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "flags"})
	require.NoError(t, err)

	code, body, _ := s.rest(t, "PUT", "/v1/datasets/flags/content/a.txt?create_only=maybe", "x", s.bearer())
	assert.Equal(t, http.StatusBadRequest, code, body)
	assert.Contains(t, body, "create_only")
	code, _, _ = s.rest(t, "GET", "/v1/datasets/flags/files/a.txt?ref=draft", "", s.bearer())
	assert.Equal(t, http.StatusNotFound, code, "nothing was written")

	code, body, _ = s.rest(t, "PUT", "/v1/datasets/flags/content/a.txt?create_only=true", "x", s.bearer())
	assert.Equal(t, http.StatusOK, code, body)
	code, body, _ = s.rest(t, "PUT", "/v1/datasets/flags/content/a.txt?create_only=true", "y", s.bearer())
	assert.Equal(t, http.StatusConflict, code, body)
}
