package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/server"
)

// restStatus decodes a google.rpc.Status JSON body.
type restStatus struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details"`
}

func decodeStatus(t *testing.T, body string) restStatus {
	t.Helper()
	var st restStatus
	require.NoError(t, json.Unmarshal([]byte(body), &st), body)
	return st
}

func TestGetInfo_GRPCAndREST(t *testing.T) {
	s := startSidecar(t)
	info, err := kamldv1.NewSystemServiceClient(s.conn).GetInfo(s.authed("x-kamld-user", "alice"), &kamldv1.GetInfoRequest{})
	require.NoError(t, err)
	assert.Equal(t, "0.1.0", info.GetVersion())
	assert.Equal(t, "kamld.v1", info.GetApiVersion())
	assert.Equal(t, "alice", info.GetIdentity())
	assert.Equal(t, kamldv1.Health_HEALTH_SERVING, info.GetHealth())
	require.Len(t, info.GetBackends(), 4)
	assert.Equal(t, "blob", info.GetBackends()[0].GetCapability())
	assert.Equal(t, "fs", info.GetBackends()[0].GetBackend())
	assert.Equal(t, kamldv1.Health_HEALTH_SERVING, info.GetBackends()[0].GetHealth())
	assert.Equal(t, []string{"system", "datasets", "search", "sql", "jobs", "pipelines"}, info.GetCapabilities(), "a sidecar serves every capability")
	for _, b := range info.GetBackends() {
		assert.Equal(t, kamldv1.Health_HEALTH_SERVING, b.GetHealth(), b.GetCapability())
	}

	code, body, hdr := s.rest(t, "GET", "/v1/system/info", "", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	assert.Equal(t, "0.1.0", got["version"])
	assert.Equal(t, "tester", got["identity"], "no X-Kamld-User: the default identity")
	assert.Equal(t, "HEALTH_SERVING", got["health"])
	assert.NotEmpty(t, hdr.Get("X-Request-Id"))
}

func TestNewRefusesMissingServices(t *testing.T) {
	_, err := server.New(config.Default(), auth.Token{}, nil, server.Services{})
	require.Error(t, err)
	for _, name := range []string{"datasets", "tables", "search", "query", "jobs"} {
		assert.Contains(t, err.Error(), "no "+name+" service")
	}
}

func TestIdentityHeaderOverREST(t *testing.T) {
	s := startSidecar(t)
	h := s.bearer()
	h["X-Kamld-User"] = "bob@example.org"
	code, body, _ := s.rest(t, "GET", "/v1/system/info", "", h)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"identity":"bob@example.org"`)
}

func TestIdentityIsPercentDecodedAndNeverFallsBack(t *testing.T) {
	s := startSidecar(t)
	info, err := kamldv1.NewSystemServiceClient(s.conn).GetInfo(s.authed("x-kamld-user", "zo%C3%AB"), &kamldv1.GetInfoRequest{})
	require.NoError(t, err)
	assert.Equal(t, "zoë", info.GetIdentity())

	h := s.bearer()
	h["X-Kamld-User"] = "J%C3%B6rg%20M%C3%BCller"
	code, body, _ := s.rest(t, "GET", "/v1/system/info", "", h)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"identity":"Jörg Müller"`)

	for _, bad := range []string{"%zz", "%ff%fe", "%00root"} {
		_, err := kamldv1.NewSystemServiceClient(s.conn).GetInfo(s.authed("x-kamld-user", bad), &kamldv1.GetInfoRequest{})
		assertInvalidArgumentWithField(t, err, "x-kamld-user")
		h["X-Kamld-User"] = bad
		code, _, _ := s.rest(t, "GET", "/v1/system/info", "", h)
		assert.Equal(t, http.StatusBadRequest, code, bad)
	}
}

func TestFormPostIsNotAGet(t *testing.T) {
	s := startSidecar(t)
	h := s.bearer()
	h["Content-Type"] = "application/x-www-form-urlencoded"
	code, _, _ := s.rest(t, "POST", "/v1/system/info", "a=b", h)
	assert.Equal(t, http.StatusMethodNotAllowed, code)
}

func TestUnauthenticated(t *testing.T) {
	s := startSidecar(t)
	client := kamldv1.NewSystemServiceClient(s.conn)
	for name, ctx := range map[string]context.Context{
		"no token":    context.Background(),
		"wrong token": s.withToken("not-the-token-at-all"),
		"not bearer":  s.withAuthorization("Basic " + s.token),
	} {
		t.Run("grpc/"+name, func(t *testing.T) {
			_, err := client.GetInfo(ctx, &kamldv1.GetInfoRequest{})
			assert.Equal(t, codes.Unauthenticated, status.Code(err))
		})
	}
	for name, hdr := range map[string]map[string]string{
		"no token":    nil,
		"wrong token": {"Authorization": "Bearer not-the-token-at-all"},
		"not bearer":  {"Authorization": "Basic " + s.token},
	} {
		t.Run("rest/"+name, func(t *testing.T) {
			code, body, _ := s.rest(t, "GET", "/v1/system/info", "", hdr)
			assert.Equal(t, http.StatusUnauthorized, code)
			assert.Equal(t, int(codes.Unauthenticated), decodeStatus(t, body).Code)
		})
	}
}

func TestHealthNeedsNoToken(t *testing.T) {
	s := startSidecar(t)
	resp, err := healthpb.NewHealthClient(s.conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())
	for _, p := range []string{"/healthz", "/readyz"} {
		code, _, _ := s.rest(t, "GET", p, "", nil)
		assert.Equal(t, http.StatusOK, code, p)
	}
}

func TestMalformedRequests(t *testing.T) {
	s := startSidecar(t)
	cases := map[string]string{
		"malformed json":    `{"description": `,
		"unknown field":     `{"description": "x", "colour": "red"}`,
		"wrong type":        `{"description": 42}`,
		"wrong type nested": `{"labels": ["a"]}`,
	}
	for name, body := range cases {
		t.Run("rest/"+name, func(t *testing.T) {
			code, resp, _ := s.rest(t, "POST", "/v1/datasets?datasetId=iris", body, s.bearer())
			require.Equal(t, http.StatusBadRequest, code, resp)
			st := decodeStatus(t, resp)
			assert.Equal(t, int(codes.InvalidArgument), st.Code)
			assert.Contains(t, string(joinDetails(st)), "google.rpc.BadRequest", "field details expected: %s", resp)
		})
	}
	t.Run("rest/unknown field names it", func(t *testing.T) {
		_, resp, _ := s.rest(t, "POST", "/v1/datasets", `{"colour": "red"}`, s.bearer())
		assert.Contains(t, resp, `"field":"colour"`)
	})
	t.Run("rest/bad query parameter type", func(t *testing.T) {
		code, resp, _ := s.rest(t, "GET", "/v1/datasets?pageSize=many", "", s.bearer())
		assert.Equal(t, http.StatusBadRequest, code, resp)
	})
	// Over gRPC a malformed message is bytes that do not decode as the request type.
	t.Run("grpc/undecodable bytes", func(t *testing.T) {
		var out kamldv1.SystemInfo
		err := s.conn.Invoke(s.authed(), "/kamld.v1.SystemService/GetInfo", rawBytes{0x0a, 0xff, 0xff}, &out, grpc.ForceCodecV2(rawCodec{}))
		assertInvalidArgumentWithField(t, err, "request")
	})
	t.Run("grpc/invalid utf-8 in a string field", func(t *testing.T) {
		// field 1 (dataset_id) as a length-delimited value that is not UTF-8
		var out kamldv1.Dataset
		err := s.conn.Invoke(s.authed(), "/kamld.v1.DatasetService/CreateDataset", rawBytes{0x0a, 0x02, 0xff, 0xfe}, &out, grpc.ForceCodecV2(rawCodec{}))
		assertInvalidArgumentWithField(t, err, "request")
	})
}

func TestFieldValidationBothWays(t *testing.T) {
	s := startSidecar(t)
	_, err := kamldv1.NewDatasetServiceClient(s.conn).ListDatasets(s.authed(), &kamldv1.ListDatasetsRequest{PageSize: -1})
	assertInvalidArgumentWithField(t, err, "page_size")
	code, body, _ := s.rest(t, "GET", "/v1/datasets?pageSize=-1", "", s.bearer())
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, `"field":"page_size"`)

	_, err = kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "iris", Dataset: &kamldv1.Dataset{Description: "nul\x00byte"}})
	assertInvalidArgumentWithField(t, err, "dataset.description")
	code, body, _ = s.rest(t, "POST", "/v1/datasets?datasetId=iris", `{"description":"nul\u0000byte"}`, s.bearer())
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, `"field":"dataset.description"`)
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	s := startSidecar(t)
	code, body, _ := s.rest(t, "GET", "/v1/nothing/here/at/all", "", s.bearer())
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, int(codes.NotFound), decodeStatus(t, body).Code)

	code, body, _ = s.rest(t, "DELETE", "/v1/system/info", "", s.bearer())
	assert.Equal(t, http.StatusMethodNotAllowed, code)
	assert.NotEmpty(t, decodeStatus(t, body).Message)

	var out kamldv1.SystemInfo
	err := s.conn.Invoke(s.authed(), "/kamld.v1.SystemService/NoSuchMethod", &kamldv1.GetInfoRequest{}, &out)
	assert.Equal(t, codes.Unimplemented, status.Code(err))
	err = s.conn.Invoke(s.authed(), "/kamld.v1.NoSuchService/Get", &kamldv1.GetInfoRequest{}, &out)
	assert.Equal(t, codes.Unimplemented, status.Code(err))
}

func TestOversizedRequests(t *testing.T) {
	s := startSidecar(t, func(c *config.Config) { c.Limits.MaxMessageBytes = 64 << 10 })
	big := strings.Repeat("x", 100<<10)
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "big", Dataset: &kamldv1.Dataset{Description: big}})
	assert.Equal(t, codes.ResourceExhausted, status.Code(err))

	code, body, _ := s.rest(t, "POST", "/v1/datasets?datasetId=big", `{"description":"`+big+`"}`, s.bearer())
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Equal(t, int(codes.ResourceExhausted), decodeStatus(t, body).Code)
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	s := startSidecar(t)
	code, body, _ := s.rest(t, "GET", "/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, code)
	var doc struct {
		Swagger string                               `json:"swagger"`
		Info    map[string]any                       `json:"info"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	assert.Equal(t, "kamld API", doc.Info["title"])
	ops := map[string]bool{}
	for _, methods := range doc.Paths {
		for _, op := range methods {
			if id, ok := op["operationId"].(string); ok {
				ops[id] = true
			}
		}
	}
	// Every RPC with an HTTP binding appears: walk the registered services' descriptors.
	for _, svc := range allServices() {
		for i := 0; i < svc.Methods().Len(); i++ {
			m := svc.Methods().Get(i)
			if !hasHTTPRule(m) {
				continue
			}
			assert.True(t, ops[string(svc.Name())+"_"+string(m.Name())], "OpenAPI lacks %s.%s", svc.Name(), m.Name())
		}
	}
	assert.NotContains(t, body, "/**", "deep wildcards are rendered as {path}")
	assert.Contains(t, doc.Paths, "/v1/datasets/{dataset}/files/{path}")
	assert.Contains(t, doc.Paths["/v1/datasets/{dataset}/content/{path}"], "put", "the raw upload route is documented")
}

func joinDetails(st restStatus) []byte {
	var b []byte
	for _, d := range st.Details {
		b = append(b, d...)
	}
	return b
}

func assertInvalidArgumentWithField(t *testing.T, err error, field string) {
	t.Helper()
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code(), "%v", err)
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field {
					return
				}
			}
		}
	}
	t.Errorf("no field violation for %q in %v", field, st.Details())
}
