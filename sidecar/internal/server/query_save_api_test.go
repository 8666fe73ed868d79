package server_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// A GROUP BY saved as a new dataset's snapshot over gRPC and REST, read back with its types; bad requests are
// 400 with the field that is wrong.
func TestSaveQueryResult_GRPCAndREST(t *testing.T) {
	s := querySidecar(t)
	qc := kamldv1.NewQueryServiceClient(s.conn)
	const groupBy = `SELECT name, sum(score) AS total, count(*) AS n FROM "scores@v1".scores GROUP BY name ORDER BY name`

	res, err := qc.SaveQueryResult(s.authed(), &kamldv1.SaveQueryResultRequest{
		Sql: groupBy, Dataset: "datasets/totals", Path: "by_name.parquet", Message: "totals by name", CreateDataset: true,
	})
	require.NoError(t, err)
	require.EqualValues(t, 2, res.GetRows())
	snap := res.GetSnapshot()
	require.Equal(t, "datasets/totals/snapshots/"+snap.GetId(), snap.GetName())
	require.Equal(t, "v1", snap.GetVersion())
	require.Equal(t, "totals by name", snap.GetMessage())
	require.NotEmpty(t, snap.GetAuthor())
	require.EqualValues(t, 1, snap.GetStats().GetFileCount())
	require.Equal(t, "by_name.parquet", res.GetFile().GetPath())
	require.Equal(t, "application/vnd.apache.parquet", res.GetFile().GetMediaType())

	// Read back: the saved file previews with the result's types — sum() of a BIGINT is HUGEINT, which has no
	// Parquet type; DuckDB stores it as DOUBLE.
	p, err := qc.PreviewFile(s.authed(), &kamldv1.PreviewFileRequest{Dataset: "datasets/totals", Path: "by_name.parquet", Ref: "v1"})
	require.NoError(t, err)
	var types []string
	for _, c := range p.GetColumns() {
		types = append(types, c.GetName()+" "+c.GetType())
	}
	require.Equal(t, []string{"name VARCHAR", "total DOUBLE", "n BIGINT"}, types)
	var rows [][]any
	for _, r := range p.GetRows() {
		rows = append(rows, r.AsSlice())
	}
	require.Equal(t, [][]any{{"ann", 8.0, 2.0}, {"bob", 4.0, 1.0}}, rows)
	require.EqualValues(t, 2, p.GetTotalRows())

	// And through SQL, by the new dataset's only table.
	code, body, _ := s.rest(t, "POST", "/v1/queries:execute", `{"sql": "SELECT sum(n) FROM \"totals@v1\""}`, s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"rows":[[3]]`)

	// Over REST into the existing dataset: a second file, a second snapshot; the same path again is 409.
	save := `{"sql": "SELECT * FROM \"scores@v1\".scores WHERE score > 3", "dataset": "datasets/totals", "path": "high/scores.parquet", "message": "high"}`
	code, body, _ = s.rest(t, "POST", "/v1/queries:save", save, s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	var out struct {
		Snapshot struct {
			Version string
			Stats   struct{ FileCount string }
		}
		Rows string
	}
	require.NoError(t, json.Unmarshal([]byte(body), &out), body)
	require.Equal(t, "v2", out.Snapshot.Version)
	require.Equal(t, "2", out.Snapshot.Stats.FileCount)
	require.Equal(t, "2", out.Rows)
	code, body, _ = s.rest(t, "POST", "/v1/queries:save", save, s.bearer())
	require.Equal(t, http.StatusConflict, code, body)

	for _, tc := range []struct {
		name, body, field string
		http              int
	}{
		{"DDL", `{"sql": "DROP TABLE x", "dataset": "datasets/totals", "path": "x.parquet"}`, "sql", http.StatusBadRequest},
		{"COPY", `{"sql": "COPY (SELECT 1) TO '/tmp/x.parquet'", "dataset": "datasets/totals", "path": "x.parquet"}`, "sql", http.StatusBadRequest},
		{"SHOW", `{"sql": "SHOW TABLES", "dataset": "datasets/totals", "path": "x.parquet"}`, "sql", http.StatusBadRequest},
		{"not parquet", `{"sql": "SELECT 1", "dataset": "datasets/totals", "path": "x.csv"}`, "path", http.StatusBadRequest},
		{"escaping path", `{"sql": "SELECT 1", "dataset": "datasets/totals", "path": "../x.parquet"}`, "path", http.StatusBadRequest},
		{"bad dataset", `{"sql": "SELECT 1", "dataset": "totals", "path": "x.parquet"}`, "dataset", http.StatusBadRequest},
		{"too many rows", `{"sql": "SELECT * FROM range(10)", "dataset": "datasets/totals", "path": "x.parquet", "maxRows": 5}`, "max_rows", http.StatusBadRequest},
		{"unknown dataset", `{"sql": "SELECT 1", "dataset": "datasets/nope", "path": "x.parquet"}`, "", http.StatusNotFound},
		{"unknown ref in sql", `{"sql": "SELECT * FROM \"scores@v9\".scores", "dataset": "datasets/totals", "path": "x.parquet"}`, "", http.StatusNotFound},
	} {
		code, body, _ := s.rest(t, "POST", "/v1/queries:save", tc.body, s.bearer())
		require.Equal(t, tc.http, code, "%s: %s", tc.name, body)
		if tc.field != "" {
			require.Contains(t, body, `"field":"`+tc.field+`"`, tc.name)
		}
	}
	// Nothing of the refused requests reached the dataset.
	list, err := kamldv1.NewSnapshotServiceClient(s.conn).ListSnapshots(s.authed(), &kamldv1.ListSnapshotsRequest{Parent: "datasets/totals"})
	require.NoError(t, err)
	require.Len(t, list.GetSnapshots(), 2)

	_, err = qc.SaveQueryResult(s.authed(), &kamldv1.SaveQueryResultRequest{Sql: "DELETE FROM x", Dataset: "datasets/totals", Path: "x.parquet"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = qc.SaveQueryResult(s.authed(), &kamldv1.SaveQueryResultRequest{Sql: "SELECT 1", Dataset: "datasets/nope", Path: "x.parquet"})
	require.Equal(t, codes.NotFound, status.Code(err))
}

// A statement that reads an engine catalog next to a dataset is NOT_FOUND over gRPC and REST, for
// queries:execute and queries:save alike: no catalog text (view SQL with blob paths) is returned or stored.
func TestCatalogsAreNeitherReadNorSaved_GRPCAndREST(t *testing.T) {
	s := querySidecar(t)
	qc := kamldv1.NewQueryServiceClient(s.conn)
	const leak = `SELECT sql FROM duckdb_views WHERE NOT internal AND EXISTS (SELECT 1 FROM "scores@v1".scores)`
	_, err := qc.SaveQueryResult(s.authed(), &kamldv1.SaveQueryResultRequest{Sql: leak, Dataset: "datasets/leak", Path: "views.parquet", CreateDataset: true})
	require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	require.NotContains(t, status.Convert(err).Message(), "/")
	stream, err := qc.ExecuteQuery(s.authed(), &kamldv1.ExecuteQueryRequest{Sql: leak})
	require.NoError(t, err)
	_, err = stream.Recv()
	require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	for _, path := range []string{"/v1/queries:save", "/v1/queries:execute"} {
		body, _ := json.Marshal(map[string]any{"sql": leak, "dataset": "datasets/leak", "path": "v.parquet", "createDataset": true})
		if path == "/v1/queries:execute" {
			body, _ = json.Marshal(map[string]any{"sql": leak})
		}
		code, resp, _ := s.rest(t, "POST", path, string(body), s.bearer())
		require.Equal(t, http.StatusNotFound, code, "%s: %s", path, resp)
		require.NotContains(t, resp, "/tmp", path)
	}
	_, err = kamldv1.NewDatasetServiceClient(s.conn).GetDataset(s.authed(), &kamldv1.GetDatasetRequest{Name: "datasets/leak"})
	require.Equal(t, codes.NotFound, status.Code(err), "nothing was saved: %v", err)
}
