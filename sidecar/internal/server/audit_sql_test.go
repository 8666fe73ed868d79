package server_test

import (
	"context"
	"encoding/json"
	"errors"
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

// TestAuditTable_GRPCAndREST: admins read the audit log in SQL as kamld_audit; anyone else gets exactly the
// NOT_FOUND of a dataset that does not exist, and that refusal is itself audited; a CTE of the same name
// hides the table, as it hides a dataset.
func TestAuditTable_GRPCAndREST(t *testing.T) {
	s := startSharedSidecar(t)
	alice, bob := s.withToken(aliceServiceToken), s.withToken(bobServiceToken)
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(bob, &kamldv1.CreateDatasetRequest{DatasetId: "bobs"})
	require.NoError(t, err)
	_, err = kamldv1.NewAuditServiceClient(s.conn).ListAuditRecords(bob, &kamldv1.ListAuditRecordsRequest{})
	require.Equal(t, codes.PermissionDenied, status.Code(err))

	rows, err := sqlRows(alice, s, `SELECT subject, groups, method, dataset, outcome FROM kamld_audit WHERE subject = 'bob' ORDER BY time`)
	require.NoError(t, err)
	assert.Equal(t, [][]any{
		{"bob", []any{"lab"}, "/kamld.v1.DatasetService/CreateDataset", "bobs", "OK"},
		{"bob", []any{"lab"}, "/kamld.v1.AuditService/ListAuditRecords", "", "PERMISSION_DENIED"},
	}, rows)
	rows, err = sqlRows(alice, s, `SELECT count(*) AS n FROM kamld_audit.records WHERE time > TIMESTAMP '2020-01-01' AND outcome = 'PERMISSION_DENIED'`)
	require.NoError(t, err)
	assert.Equal(t, [][]any{{1.0}}, rows, "one table, records, with a TIMESTAMP time")

	body, _ := json.Marshal(map[string]string{"sql": `SELECT method FROM kamld_audit WHERE dataset = 'bobs'`})
	code, resp, _ := s.rest(t, "POST", "/v1/queries:execute", string(body), map[string]string{"Authorization": "Bearer " + aliceServiceToken})
	require.Equal(t, http.StatusOK, code, resp)
	assert.Contains(t, resp, `["/kamld.v1.DatasetService/CreateDataset"]`)

	_, missing := sqlRows(bob, s, `SELECT * FROM no_such_table`)
	_, err = sqlRows(bob, s, `SELECT * FROM kamld_audit`)
	require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	assert.Equal(t, "DATASET_NOT_FOUND", grpcReason(t, err))
	assert.Equal(t, strings.Replace(status.Convert(missing).Message(), "no_such_table", "kamld_audit", 1), status.Convert(err).Message(),
		"the audit table answers a non-admin exactly as a dataset that does not exist")
	body, _ = json.Marshal(map[string]string{"sql": `SELECT * FROM kamld_audit.records`})
	code, resp, _ = s.rest(t, "POST", "/v1/queries:execute", string(body), map[string]string{"Authorization": "Bearer " + bobServiceToken})
	assert.Equal(t, http.StatusNotFound, code, resp)
	rows, err = sqlRows(bob, s, `WITH kamld_audit AS (SELECT 1 AS x) SELECT x FROM kamld_audit`)
	require.NoError(t, err)
	assert.Equal(t, [][]any{{1.0}}, rows, "a CTE of that name is the statement's own table")

	denied, err := kamldv1.NewAuditServiceClient(s.conn).ListAuditRecords(alice, &kamldv1.ListAuditRecordsRequest{
		Subject: "bob", Method: "ExecuteQuery", Outcome: "NOT_FOUND"})
	require.NoError(t, err)
	assert.Len(t, denied.GetRecords(), 2, "the two refused reads of the audit table are audited as denials; the missing dataset is not")
}

// sqlRows runs a statement over gRPC and returns its rows.
func sqlRows(ctx context.Context, s *sidecar, stmt string) ([][]any, error) {
	stream, err := kamldv1.NewQueryServiceClient(s.conn).ExecuteQuery(ctx, &kamldv1.ExecuteQueryRequest{Sql: stmt})
	if err != nil {
		return nil, err
	}
	var rows [][]any
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		for _, r := range msg.GetBatch().GetRows() {
			rows = append(rows, r.AsSlice())
		}
	}
}
