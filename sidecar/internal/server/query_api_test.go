package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

func querySidecar(t *testing.T) *sidecar {
	s := startSidecar(t)
	ctx := s.authed()
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(ctx, &kamldv1.CreateDatasetRequest{DatasetId: "scores"})
	require.NoError(t, err)
	writeFile(t, s, "scores", "scores.csv", "name,score\nann,3\nbob,4\nann,5")
	_, err = kamldv1.NewSnapshotServiceClient(s.conn).CreateSnapshot(ctx, &kamldv1.CreateSnapshotRequest{Parent: "datasets/scores"})
	require.NoError(t, err)
	return s
}

// The same statements over gRPC and REST, with the same status codes.
func TestQuery_GRPCAndREST(t *testing.T) {
	s := querySidecar(t)
	qc := kamldv1.NewQueryServiceClient(s.conn)
	const groupBy = `SELECT name, sum(score) AS total FROM "scores@v1".scores GROUP BY name ORDER BY name`

	stream, err := qc.ExecuteQuery(s.authed(), &kamldv1.ExecuteQueryRequest{Sql: groupBy})
	require.NoError(t, err)
	var rows [][]any
	var engine string
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if b := msg.GetBatch(); b != nil {
			for _, r := range b.GetRows() {
				rows = append(rows, r.AsSlice())
			}
		}
		if st := msg.GetStats(); st != nil {
			engine = st.GetEngine()
		}
	}
	require.Equal(t, [][]any{{"ann", 8.0}, {"bob", 4.0}}, rows)
	require.Equal(t, "duckdb", engine)

	code, body, _ := s.rest(t, "POST", "/v1/queries:execute", `{"sql": "`+strings.ReplaceAll(groupBy, `"`, `\"`)+`"}`, s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	lines := strings.Split(strings.TrimSpace(body), "\n")
	require.Len(t, lines, 3, "schema, one batch, stats: %s", body)
	var batch struct {
		Result struct {
			Batch struct{ Rows [][]any }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &batch))
	require.Equal(t, [][]any{{"ann", 8.0}, {"bob", 4.0}}, batch.Result.Batch.Rows)

	for _, tc := range []struct {
		sql  string
		code codes.Code
		http int
	}{
		{`SELECT 1; DROP TABLE x`, codes.InvalidArgument, http.StatusBadRequest},
		{`SELECT * FROM read_csv('/etc/passwd')`, codes.InvalidArgument, http.StatusBadRequest},
		{`SELECT nope FROM "scores@v1".scores`, codes.InvalidArgument, http.StatusBadRequest},
		{`SELECT * FROM "scores@v7".scores`, codes.NotFound, http.StatusNotFound},
		{`SELECT * FROM "nope@v1".t`, codes.NotFound, http.StatusNotFound},
	} {
		stream, err := qc.ExecuteQuery(s.authed(), &kamldv1.ExecuteQueryRequest{Sql: tc.sql})
		require.NoError(t, err)
		_, err = stream.Recv()
		require.Equal(t, tc.code, status.Code(err), "%s: %v", tc.sql, err)
		body, _ := json.Marshal(map[string]string{"sql": tc.sql})
		code, resp, _ := s.rest(t, "POST", "/v1/queries:execute", string(body), s.bearer())
		require.Equal(t, tc.http, code, "%s: %s", tc.sql, resp)
		if tc.code == codes.InvalidArgument {
			require.Contains(t, resp, `"field":"sql"`)
			require.Contains(t, resp, "line 1, column")
		}
	}

	// A deadline: the statement runs far longer than its timeout.
	slow := `{"sql": "SELECT sum(a.score * b.score * c.score * d.score) FROM range(100000) r, \"scores@v1\".scores a, \"scores@v1\".scores b, \"scores@v1\".scores c, \"scores@v1\".scores d, range(100000) q", "timeout": "0.2s"}`
	code, resp, _ := s.rest(t, "POST", "/v1/queries:execute", slow, s.bearer())
	require.Equal(t, http.StatusGatewayTimeout, code, resp)

	// Unauthenticated.
	code, _, _ = s.rest(t, "POST", "/v1/queries:execute", `{"sql":"SELECT 1"}`, nil)
	require.Equal(t, http.StatusUnauthorized, code)

	// CancelQuery of nothing running: NOT_FOUND both ways.
	_, err = qc.CancelQuery(s.authed(), &kamldv1.CancelQueryRequest{Name: "queries/nothing"})
	require.Equal(t, codes.NotFound, status.Code(err))
	code, _, _ = s.rest(t, "POST", "/v1/queries/nothing:cancel", `{}`, s.bearer())
	require.Equal(t, http.StatusNotFound, code)
}

func TestPreviewAndListTables_GRPCAndREST(t *testing.T) {
	s := querySidecar(t)
	qc := kamldv1.NewQueryServiceClient(s.conn)
	p, err := qc.PreviewFile(s.authed(), &kamldv1.PreviewFileRequest{Dataset: "datasets/scores", Path: "scores.csv", Limit: 2})
	require.NoError(t, err)
	require.Len(t, p.GetRows(), 2)
	require.True(t, p.GetTruncated())

	code, body, _ := s.rest(t, "GET", "/v1/datasets/scores/preview/scores.csv?ref=v1&limit=10", "", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	var prev struct {
		Columns []struct{ Name, Type string }
		Rows    [][]any
	}
	require.NoError(t, json.Unmarshal([]byte(body), &prev))
	require.Equal(t, "score", prev.Columns[1].Name)
	require.Equal(t, "BIGINT", prev.Columns[1].Type)
	require.Equal(t, []any{"ann", 3.0}, prev.Rows[0])

	code, body, _ = s.rest(t, "GET", "/v1/datasets/scores/tables?ref=v1", "", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"schema":"scores@v1"`)
	require.Contains(t, body, `"name":"scores"`)

	for _, tc := range []struct {
		path string
		http int
		code codes.Code
		req  *kamldv1.PreviewFileRequest
	}{
		{"/v1/datasets/scores/preview/nope.csv", http.StatusNotFound, codes.NotFound, &kamldv1.PreviewFileRequest{Dataset: "datasets/scores", Path: "nope.csv"}},
		{"/v1/datasets/scores/preview/scores.csv?limit=-1", http.StatusBadRequest, codes.InvalidArgument, &kamldv1.PreviewFileRequest{Dataset: "datasets/scores", Path: "scores.csv", Limit: -1}},
		{"/v1/datasets/nope/preview/x.csv", http.StatusNotFound, codes.NotFound, &kamldv1.PreviewFileRequest{Dataset: "datasets/nope", Path: "x.csv"}},
	} {
		code, body, _ := s.rest(t, "GET", tc.path, "", s.bearer())
		require.Equal(t, tc.http, code, "%s: %s", tc.path, body)
		_, err := qc.PreviewFile(s.authed(), tc.req)
		require.Equal(t, tc.code, status.Code(err), "%v", err)
	}
	code, _, _ = s.rest(t, "GET", "/v1/datasets/nope/tables", "", s.bearer())
	require.Equal(t, http.StatusNotFound, code)
	_, err = qc.ListTables(context.Background(), &kamldv1.ListTablesRequest{Dataset: "datasets/scores"})
	require.Equal(t, codes.Unauthenticated, status.Code(err))
}
