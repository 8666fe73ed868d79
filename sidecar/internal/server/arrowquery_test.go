package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/stretchr/testify/require"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/server"
)

// arrowHeader asks for the Arrow answer with the sidecar's token.
func (s *sidecar) arrowHeader() map[string]string {
	return map[string]string{"Authorization": "Bearer " + s.token, "Accept": server.ArrowMIME}
}

// readArrow splits an Arrow answer into its row count and the JSON line after the stream.
func readArrow(t *testing.T, body string) (int64, map[string]any) {
	t.Helper()
	src := strings.NewReader(body)
	rd, err := ipc.NewReader(src)
	require.NoError(t, err)
	var rows int64
	for rd.Next() {
		rows += rd.RecordBatch().NumRows()
	}
	require.NoError(t, rd.Err())
	rd.Release()
	rest, err := io.ReadAll(src)
	require.NoError(t, err)
	var end map[string]any
	require.NoError(t, json.Unmarshal(rest, &end), string(rest))
	return rows, end
}

// The Arrow answer is served in process behind the same chain: rows, stats, the request id and max_rows.
func TestArrowREST_RowsLimitsAndRequestID(t *testing.T) {
	s := querySidecar(t)
	h := s.arrowHeader()
	h["X-Request-Id"] = "arrow-req-1"
	code, body, hdr := s.rest(t, "POST", "/v1/queries:execute", `{"sql": "SELECT i FROM range(50000) t(i)", "queryId": "arrow-q1", "maxRows": "50000"}`, h)
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, server.ArrowMIME, hdr.Get("Content-Type"))
	require.Equal(t, "arrow-req-1", hdr.Get("X-Request-Id"))
	require.Equal(t, "queries/arrow-q1", hdr.Get("X-Kamld-Query"))
	rows, end := readArrow(t, body)
	require.EqualValues(t, 50000, rows)
	require.Equal(t, "50000", end["stats"].(map[string]any)["rows"])

	code, body, _ = s.rest(t, "POST", "/v1/queries:execute", `{"sql": "SELECT i FROM range(50000) t(i)", "maxRows": "123"}`, s.arrowHeader())
	require.Equal(t, http.StatusOK, code, body)
	rows, end = readArrow(t, body)
	require.EqualValues(t, 123, rows)
	require.Equal(t, true, end["stats"].(map[string]any)["truncated"])

	// An empty result is still a whole stream: the schema, the end marker, the stats.
	code, body, _ = s.rest(t, "POST", "/v1/queries:execute", `{"sql": "SELECT 1 AS x WHERE false"}`, s.arrowHeader())
	require.Equal(t, http.StatusOK, code, body)
	rows, end = readArrow(t, body)
	require.EqualValues(t, 0, rows)
	require.Equal(t, "0", end["stats"].(map[string]any)["rows"])
}

// Errors before the first byte have the HTTP status of the JSON answer and its google.rpc.Status as the body
// (the JSON answer, a stream, wraps it in {"error": …}).
func TestArrowREST_ErrorsAsTheGateway(t *testing.T) {
	s := querySidecar(t)
	for name, body := range map[string]string{
		"statement":       `{"sql": "DELETE FROM \"scores@v1\".scores"}`,
		"syntax":          `{"sql": "SELEC nonsense"}`,
		"unknown dataset": `{"sql": "SELECT * FROM \"nope@v1\".t"}`,
		"bad limit":       `{"sql": "SELECT 1", "maxRows": "-4"}`,
	} {
		t.Run(name, func(t *testing.T) {
			jsonCode, jsonBody, _ := s.rest(t, "POST", "/v1/queries:execute", body, s.bearer())
			var streamed struct{ Error json.RawMessage }
			require.NoError(t, json.Unmarshal([]byte(jsonBody), &streamed), jsonBody)
			code, got, hdr := s.rest(t, "POST", "/v1/queries:execute", body, s.arrowHeader())
			require.GreaterOrEqual(t, code, 400, got)
			require.Equal(t, jsonCode, code, got)
			require.Equal(t, "application/json", hdr.Get("Content-Type"))
			require.NotEmpty(t, hdr.Get("X-Request-Id"))
			require.True(t, proto.Equal(statusProto(t, streamed.Error), statusProto(t, []byte(got))), "%s\n%s", streamed.Error, got)
		})
	}
	// The gateway decodes bodies itself, with a decoder of its own: the code, status and reason are its.
	for name, body := range map[string]string{"malformed body": `{"sql": 1`, "unknown field": `{"sql": "SELECT 1", "rows": 3}`} {
		t.Run(name, func(t *testing.T) {
			jsonCode, jsonBody, _ := s.rest(t, "POST", "/v1/queries:execute", body, s.bearer())
			code, got, _ := s.rest(t, "POST", "/v1/queries:execute", body, s.arrowHeader())
			require.Equal(t, http.StatusBadRequest, code, got)
			require.Equal(t, jsonCode, code, jsonBody)
			require.Contains(t, got, `"reason":"MALFORMED_REQUEST"`)
			require.Contains(t, jsonBody, `"reason":"MALFORMED_REQUEST"`)
		})
	}
	// A Grpc-Timeout header is read as the gateway reads it.
	t.Run("grpc-timeout", func(t *testing.T) {
		for _, h := range []map[string]string{s.bearer(), s.arrowHeader()} {
			h["Grpc-Timeout"] = "soon"
			code, body, _ := s.rest(t, "POST", "/v1/queries:execute", `{"sql": "SELECT 1"}`, h)
			require.Equal(t, http.StatusBadRequest, code, body)
			require.Contains(t, body, "invalid grpc-timeout: soon")
		}
		h := s.arrowHeader()
		h["Grpc-Timeout"] = "1M"
		code, body, _ := s.rest(t, "POST", "/v1/queries:execute", `{"sql": "SELECT 1"}`, h)
		require.Equal(t, http.StatusOK, code, body)
	})
}

func statusProto(t *testing.T, b []byte) *spb.Status {
	t.Helper()
	st := &spb.Status{}
	require.NoError(t, protojson.Unmarshal(b, st), string(b))
	return st
}

// A caller without a valid token is refused before its body is looked at: 401 for a malformed body too.
func TestArrowREST_AuthenticatesBeforeParsing(t *testing.T) {
	s := querySidecar(t)
	for _, auth := range []string{"", "Bearer wrong"} {
		h := map[string]string{"Accept": server.ArrowMIME}
		if auth != "" {
			h["Authorization"] = auth
		}
		code, body, _ := s.rest(t, "POST", "/v1/queries:execute", `{"sql": 1`, h)
		require.Equal(t, http.StatusUnauthorized, code, body)
		require.Contains(t, body, `"code":16`)
	}
}

// A client that goes away mid-result cancels its query: the query's id is free again soon after.
func TestArrowREST_DisconnectCancelsTheQuery(t *testing.T) {
	s := querySidecar(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", s.baseURL+"/v1/queries:execute",
		bytes.NewReader([]byte(`{"sql": "SELECT i, i * 2 AS j FROM range(100000000) t(i)", "queryId": "arrow-gone", "timeout": "300s", "maxRows": "10000000", "maxBytes": "1073741824"}`)))
	require.NoError(t, err)
	for k, v := range s.arrowHeader() {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = resp.Body.Read(make([]byte, 1024)) // the stream has started; then nothing is read
	require.NoError(t, err)
	qc := kamldv1.NewQueryServiceClient(s.conn)
	require.True(t, idTaken(t, qc, s, "arrow-gone"), "the query runs while the client is there")
	cancel()
	_ = resp.Body.Close()
	require.Eventually(t, func() bool { return !idTaken(t, qc, s, "arrow-gone") }, 20*time.Second, 50*time.Millisecond)
}

// idTaken reports whether a query of that id is running, by starting one of the same id.
func idTaken(t *testing.T, qc kamldv1.QueryServiceClient, s *sidecar, id string) bool {
	t.Helper()
	stream, err := qc.ExecuteQuery(s.authed(), &kamldv1.ExecuteQueryRequest{Sql: "SELECT 1", QueryId: id})
	require.NoError(t, err)
	for {
		_, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return false
		}
		if err != nil {
			require.Equal(t, codes.AlreadyExists, status.Code(err), err)
			return true
		}
	}
}
