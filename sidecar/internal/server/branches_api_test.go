package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// TestBranches_GRPCAndREST: branches created, written through branch-scoped names (gRPC streams and the raw
// PUT route), merged with a conflict whose list arrives as a MergeConflicts detail over both protocols,
// resolved by a strategy, renamed and deleted.
func TestBranches_GRPCAndREST(t *testing.T) {
	s := startSidecar(t)
	ctx := s.authed("x-kamld-user", "alice")
	dsc, snc, bc := kamldv1.NewDatasetServiceClient(s.conn), kamldv1.NewSnapshotServiceClient(s.conn), kamldv1.NewBranchServiceClient(s.conn)
	_, err := dsc.CreateDataset(ctx, &kamldv1.CreateDatasetRequest{DatasetId: "iris", Dataset: &kamldv1.Dataset{}})
	require.NoError(t, err)
	writeFile(t, s, "iris", "a.csv", "a,1")
	v1, err := snc.CreateSnapshot(ctx, &kamldv1.CreateSnapshotRequest{Parent: "datasets/iris"})
	require.NoError(t, err)

	b, err := bc.CreateBranch(ctx, &kamldv1.CreateBranchRequest{Parent: "datasets/iris", BranchId: "exp", Branch: &kamldv1.Branch{From: v1.GetName()}})
	require.NoError(t, err)
	require.Equal(t, "datasets/iris/branches/exp", b.GetName())
	require.Equal(t, "v1", b.GetHeadVersion())
	require.Equal(t, "alice", b.GetAuthor())
	code, body, _ := s.rest(t, "POST", "/v1/datasets/iris/branches?branchId=exp", `{"from":"v1"}`, s.bearer())
	require.Equal(t, http.StatusConflict, code, body)
	code, body, _ = s.rest(t, "POST", "/v1/datasets/iris/branches?branchId=v9", `{}`, s.bearer())
	require.Equal(t, http.StatusBadRequest, code, body)

	// Both sides change a.csv: exp through the raw route, main through gRPC.
	code, body, _ = s.rest(t, "PUT", "/v1/datasets/iris@exp/content/a.csv", "a,exp", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	writeFile(t, s, "iris@exp", "b.csv", "b")
	writeFile(t, s, "iris", "a.csv", "a,main")
	_, err = snc.CreateSnapshot(ctx, &kamldv1.CreateSnapshotRequest{Parent: "datasets/iris@exp"})
	require.NoError(t, err)
	_, err = snc.CreateSnapshot(ctx, &kamldv1.CreateSnapshotRequest{Parent: "datasets/iris"})
	require.NoError(t, err)
	hist, err := snc.ListSnapshots(ctx, &kamldv1.ListSnapshotsRequest{Parent: "datasets/iris@exp"})
	require.NoError(t, err)
	require.Len(t, hist.GetSnapshots(), 2)
	require.Equal(t, "exp", hist.GetSnapshots()[0].GetBranch())

	_, err = bc.MergeBranch(ctx, &kamldv1.MergeBranchRequest{Name: "datasets/iris/branches/main", Source: "exp"})
	st := status.Convert(err)
	require.Equal(t, codes.FailedPrecondition, st.Code(), "%v", err)
	var conflicts *kamldv1.MergeConflicts
	for _, d := range st.Details() {
		if c, ok := d.(*kamldv1.MergeConflicts); ok {
			conflicts = c
		}
	}
	require.NotNil(t, conflicts, "the conflict list is an error detail")
	require.Len(t, conflicts.GetConflicts(), 1)
	c := conflicts.GetConflicts()[0]
	require.Equal(t, "a.csv", c.GetPath())
	require.EqualValues(t, len("a,main\n"), c.GetOurs().GetSize()) // writeFile ends lines
	require.EqualValues(t, len("a,exp"), c.GetTheirs().GetSize())
	require.NotEqual(t, c.GetOurs().GetDigest(), c.GetTheirs().GetDigest())

	code, body, _ = s.rest(t, "POST", "/v1/datasets/iris/branches/main:merge", `{"source":"exp"}`, s.bearer())
	require.Equal(t, http.StatusBadRequest, code, body) // FAILED_PRECONDITION is 400 over REST
	var rs struct {
		Details []map[string]any `json:"details"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &rs))
	require.Len(t, rs.Details, 2, "ErrorInfo and MergeConflicts")
	require.True(t, strings.Contains(body, "kamld.v1.MergeConflicts") && strings.Contains(body, `"a.csv"`), body)

	code, body, _ = s.rest(t, "POST", "/v1/datasets/iris/branches/main:merge", `{"source":"exp","pathStrategies":{"a.csv":"MERGE_STRATEGY_THEIRS"}}`, s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	var merged kamldv1.MergeBranchResponse
	require.NoError(t, protojson.Unmarshal([]byte(body), &merged))
	require.Len(t, merged.GetResolved(), 1)
	require.NotEmpty(t, merged.GetSnapshot().GetMergeParent())
	code, body, _ = s.rest(t, "GET", "/v1/datasets/iris/content/a.csv", "", s.bearer())
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "a,exp", body)

	list, err := bc.ListBranches(ctx, &kamldv1.ListBranchesRequest{Parent: "datasets/iris"})
	require.NoError(t, err)
	require.Len(t, list.GetBranches(), 2)
	_, err = bc.RenameBranch(ctx, &kamldv1.RenameBranchRequest{Name: "datasets/iris/branches/exp", NewBranchId: "feature"})
	require.NoError(t, err)
	code, body, _ = s.rest(t, "DELETE", "/v1/datasets/iris/branches/feature", "", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	_, err = bc.GetBranch(ctx, &kamldv1.GetBranchRequest{Name: "datasets/iris/branches/feature"})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = bc.DeleteBranch(ctx, &kamldv1.DeleteBranchRequest{Name: "datasets/iris/branches/main"})
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	_, err = snc.CreateSnapshot(ctx, &kamldv1.CreateSnapshotRequest{Parent: "datasets/iris@feature"})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = snc.CreateSnapshot(ctx, &kamldv1.CreateSnapshotRequest{Parent: "datasets/iris@Bad"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}
