package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// TestListDatasetsOrdersAndTotal_GRPCAndREST: every order dataset.proto documents is served, pages follow it,
// and total_size counts the datasets.
func TestListDatasetsOrdersAndTotal_GRPCAndREST(t *testing.T) {
	s := startSidecar(t)
	dc := kamldv1.NewDatasetServiceClient(s.conn)
	// b is created first and is the largest; c is updated last.
	for _, ds := range []struct{ id, content string }{{"b", strings.Repeat("x", 300)}, {"a", "x"}, {"c", strings.Repeat("x", 20)}} {
		_, err := dc.CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: ds.id})
		require.NoError(t, err)
		writeFile(t, s, ds.id, "f.txt", ds.content)
		_, err = kamldv1.NewSnapshotServiceClient(s.conn).CreateSnapshot(s.authed(), &kamldv1.CreateSnapshotRequest{Parent: "datasets/" + ds.id})
		require.NoError(t, err)
		time.Sleep(10 * time.Millisecond)
	}
	for order, want := range map[string][]string{
		"": {"a", "b", "c"}, "name": {"a", "b", "c"}, "size desc": {"b", "c", "a"},
		"update_time desc": {"c", "a", "b"}, "create_time desc": {"c", "a", "b"},
	} {
		var got []string
		token := ""
		for {
			res, err := dc.ListDatasets(s.authed(), &kamldv1.ListDatasetsRequest{OrderBy: order, PageSize: 2, PageToken: token})
			require.NoError(t, err, order)
			assert.EqualValues(t, 3, res.GetTotalSize(), order)
			for _, d := range res.GetDatasets() {
				got = append(got, strings.TrimPrefix(d.GetName(), "datasets/"))
			}
			if token = res.GetNextPageToken(); token == "" {
				break
			}
		}
		assert.Equal(t, want, got, order)
	}
	code, body, _ := s.rest(t, "GET", "/v1/datasets?orderBy=size%20desc&pageSize=1", "", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	var res struct {
		Datasets  []struct{ Name string }
		TotalSize string
	}
	require.NoError(t, json.Unmarshal([]byte(body), &res))
	assert.Equal(t, "3", res.TotalSize)
	assert.Equal(t, "datasets/b", res.Datasets[0].Name)

	_, err := dc.ListDatasets(s.authed(), &kamldv1.ListDatasetsRequest{OrderBy: "size"})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	first, err := dc.ListDatasets(s.authed(), &kamldv1.ListDatasetsRequest{OrderBy: "size desc", PageSize: 1})
	require.NoError(t, err)
	_, err = dc.ListDatasets(s.authed(), &kamldv1.ListDatasetsRequest{OrderBy: "name", PageToken: first.GetNextPageToken()})
	assert.Equal(t, codes.InvalidArgument, status.Code(err), "a token is bound to its order")
	code, _, _ = s.rest(t, "GET", "/v1/datasets?orderBy=sideways", "", s.bearer())
	assert.Equal(t, http.StatusBadRequest, code)
}

// TestListDatasetsFilter_GRPCAndREST: filter keeps the datasets whose id contains it (ignoring case), pages and
// total_size follow it, a token belongs to its filter, and a bad filter is a field violation.
func TestListDatasetsFilter_GRPCAndREST(t *testing.T) {
	s := startSidecar(t)
	dc := kamldv1.NewDatasetServiceClient(s.conn)
	for _, id := range []string{"iris", "iris-small", "penguins", "tiris"} {
		_, err := dc.CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: id})
		require.NoError(t, err)
	}
	first, err := dc.ListDatasets(s.authed(), &kamldv1.ListDatasetsRequest{Filter: "IRIS", PageSize: 2})
	require.NoError(t, err)
	assert.EqualValues(t, 3, first.GetTotalSize())
	rest, err := dc.ListDatasets(s.authed(), &kamldv1.ListDatasetsRequest{Filter: "IRIS", PageSize: 2, PageToken: first.GetNextPageToken()})
	require.NoError(t, err)
	var got []string
	for _, d := range append(first.GetDatasets(), rest.GetDatasets()...) {
		got = append(got, strings.TrimPrefix(d.GetName(), "datasets/"))
	}
	assert.Equal(t, []string{"iris", "iris-small", "tiris"}, got)
	assert.Empty(t, rest.GetNextPageToken())
	_, err = dc.ListDatasets(s.authed(), &kamldv1.ListDatasetsRequest{Filter: "pen", PageToken: first.GetNextPageToken()})
	assert.Equal(t, codes.InvalidArgument, status.Code(err), "a token is bound to its filter")

	code, body, _ := s.rest(t, "GET", "/v1/datasets?filter=pen&orderBy=create_time%20desc", "", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"datasets/penguins"`)
	assert.NotContains(t, body, `"datasets/iris"`)

	for _, filter := range []string{strings.Repeat("a", 64), "ir\x01is"} {
		_, err = dc.ListDatasets(s.authed(), &kamldv1.ListDatasetsRequest{Filter: filter})
		assertInvalidArgumentWithField(t, err, "filter")
	}
	code, body, _ = s.rest(t, "GET", "/v1/datasets?filter="+strings.Repeat("a", 64), "", s.bearer())
	assert.Equal(t, http.StatusBadRequest, code, body)
	assert.Contains(t, body, "filter")
}
