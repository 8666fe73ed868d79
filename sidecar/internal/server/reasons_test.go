package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/config"
)

// grpcReason is the ErrorInfo.reason of a gRPC error.
func grpcReason(t *testing.T, err error) string {
	t.Helper()
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	t.Fatalf("no ErrorInfo in %v", err)
	return ""
}

// restReason is the ErrorInfo.reason of a REST error body.
func restReason(t *testing.T, body string) string {
	t.Helper()
	var st struct {
		Details []struct {
			Type   string `json:"@type"`
			Reason string `json:"reason"`
		} `json:"details"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &st), body)
	for _, d := range st.Details {
		if strings.HasSuffix(d.Type, "google.rpc.ErrorInfo") {
			return d.Reason
		}
	}
	t.Fatalf("no ErrorInfo in %s", body)
	return ""
}

// TestReasonsOnTheWire pins the ErrorInfo.reason strings clients match on (the Python client, the panel): they
// are generated from kamld.v1.ErrorReason, and the strings must not change with it.
func TestReasonsOnTheWire(t *testing.T) {
	s := startSidecar(t, func(c *config.Config) { c.Limits.MaxMessageBytes = 64 << 10 })
	system := kamldv1.NewSystemServiceClient(s.conn)
	files := kamldv1.NewFileServiceClient(s.conn)
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "local"})
	require.NoError(t, err)

	grpcCases := map[string]func() error{
		"TOKEN_MISSING": func() error { _, err := system.GetInfo(s.withAuthorization(""), &kamldv1.GetInfoRequest{}); return err },
		"TOKEN_INVALID": func() error { _, err := system.GetInfo(s.withToken("nope"), &kamldv1.GetInfoRequest{}); return err },
		"PRESIGN_UNSUPPORTED": func() error {
			_, err := files.SignFileUrl(s.authed(), &kamldv1.SignFileUrlRequest{Dataset: "datasets/local", Path: "a.csv", Method: "PUT"})
			return err
		},
		"NOT_FOUND": func() error {
			_, err := kamldv1.NewDatasetServiceClient(s.conn).GetDataset(s.authed(), &kamldv1.GetDatasetRequest{Name: "datasets/absent"})
			return err
		},
		"INVALID_ARGUMENT": func() error {
			_, err := kamldv1.NewDatasetServiceClient(s.conn).GetDataset(s.authed(), &kamldv1.GetDatasetRequest{Name: "not a name"})
			return err
		},
	}
	for want, call := range grpcCases {
		t.Run("grpc/"+want, func(t *testing.T) {
			err := call()
			require.Error(t, err)
			assert.Equal(t, want, grpcReason(t, err))
		})
	}

	restCases := []struct{ want, method, path, body string }{
		{"TOKEN_MISSING", "GET", "/v1/system/info", ""},
		{"PRESIGN_UNSUPPORTED", "POST", "/v1/datasets/local:signFileUrl", `{"path":"a.csv","method":"GET"}`},
		{"MALFORMED_REQUEST", "POST", "/v1/datasets?datasetId=x", `{"description":`},
		{"REQUEST_TOO_LARGE", "POST", "/v1/datasets?datasetId=big", `{"description":"` + strings.Repeat("x", 100<<10) + `"}`},
		{"ROUTE_NOT_FOUND", "GET", "/v1/no-such-route", ""},
		{"METHOD_NOT_ALLOWED", "DELETE", "/v1/system/info", ""},
		{"NOT_FOUND", "GET", "/v1/datasets/absent", ""},
	}
	for _, c := range restCases {
		t.Run("rest/"+c.want, func(t *testing.T) {
			hdr := s.bearer()
			if c.want == "TOKEN_MISSING" {
				hdr = nil
			}
			code, body, _ := s.rest(t, c.method, c.path, c.body, hdr)
			assert.GreaterOrEqual(t, code, http.StatusBadRequest, body)
			assert.Equal(t, c.want, restReason(t, body))
		})
	}
}
