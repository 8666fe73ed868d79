package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// seedSearch creates three datasets over gRPC, two with a snapshot of files.
func seedSearch(t *testing.T, s *sidecar) {
	t.Helper()
	dsc, snc := kamldv1.NewDatasetServiceClient(s.conn), kamldv1.NewSnapshotServiceClient(s.conn)
	for id, d := range map[string]*kamldv1.Dataset{
		"churn":  {Description: "Customer churn of a telecom operator", Tags: []string{"finance"}, Labels: map[string]string{"team": "risk"}, Owner: "carol"},
		"photos": {Description: "Photographs of flowers", Tags: []string{"images"}, Owner: "alice"},
		"empty":  {Description: "Nothing yet <b>bold</b>", Owner: "alice"},
	} {
		_, err := dsc.CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: id, Dataset: d})
		require.NoError(t, err)
	}
	writeFile(t, s, "churn", "data/churn.csv", "customer_id,churned\n1,true")
	writeFile(t, s, "churn", "data/churn.parquet", "PAR1")
	writeFile(t, s, "photos", "a.png", "\x89PNG\r\n\x1a\n")
	for _, id := range []string{"churn", "photos"} {
		_, err := snc.CreateSnapshot(s.authed(), &kamldv1.CreateSnapshotRequest{Parent: "datasets/" + id, Message: "first"})
		require.NoError(t, err)
	}
}

func names(res *kamldv1.SearchDatasetsResponse) []string {
	var out []string
	for _, r := range res.GetResults() {
		out = append(out, r.GetDataset().GetName())
	}
	return out
}

func TestSearch_GRPCAndREST(t *testing.T) {
	s := startSidecar(t)
	seedSearch(t, s)
	sc := kamldv1.NewSearchServiceClient(s.conn)
	search := func(q string) *kamldv1.SearchDatasetsResponse {
		t.Helper()
		res, err := sc.SearchDatasets(s.authed(), &kamldv1.SearchDatasetsRequest{Query: q, OrderBy: "name"})
		require.NoError(t, err, q)
		return res
	}
	assert.Equal(t, []string{"datasets/churn"}, names(search("tag:finance")))
	assert.Equal(t, []string{"datasets/churn"}, names(search("format:parquet")))
	assert.Equal(t, []string{"datasets/churn"}, names(search("format:csv label:team=risk")))
	assert.Equal(t, []string{"datasets/photos"}, names(search("format:image")))
	assert.Equal(t, []string{"datasets/empty", "datasets/photos"}, names(search("owner:alice")))
	assert.Equal(t, []string{"datasets/churn"}, names(search(`"telecom operator"`)))
	assert.Equal(t, []string{"datasets/churn"}, names(search("column:customer_id")), "columns come from the snapshot's schema")
	assert.Equal(t, []string{"datasets/churn"}, names(search("churned rows:1")))
	assert.Equal(t, []string{"datasets/churn", "datasets/photos"}, names(search("-owner:alice OR tag:images")))
	assert.Equal(t, []string{"datasets/churn", "datasets/empty", "datasets/photos"}, names(search("")))

	res := search("churn")
	require.Len(t, res.GetResults(), 1)
	d := res.GetResults()[0].GetDataset()
	assert.Equal(t, "carol", d.GetOwner())
	assert.EqualValues(t, 2, d.GetStats().GetFileCount())
	assert.EqualValues(t, 1, d.GetSnapshotCount())
	assert.Contains(t, d.GetHeadSnapshot(), "datasets/churn/snapshots/")
	assert.NotEmpty(t, d.GetEtag())

	// Facets, highlights and the order, over REST.
	code, body, _ := s.rest(t, "GET", "/v1/datasets:search?query=flowers&facets=owner&facets=tag&highlight=true", "", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	var rest struct {
		Results []struct {
			Dataset    struct{ Name string }
			Highlights []struct {
				Field     string
				Fragments []string
			}
		}
		Facets []struct {
			Field  string
			Values []struct {
				Value string
				Count string
			}
		}
		TotalSize string
	}
	require.NoError(t, json.Unmarshal([]byte(body), &rest))
	require.Len(t, rest.Results, 1)
	assert.Equal(t, "datasets/photos", rest.Results[0].Dataset.Name)
	require.NotEmpty(t, rest.Results[0].Highlights)
	assert.Contains(t, rest.Results[0].Highlights[0].Fragments[0], "<mark>flowers</mark>")
	require.Len(t, rest.Facets, 2)
	assert.Equal(t, "owner", rest.Facets[0].Field)
	assert.Equal(t, "alice", rest.Facets[0].Values[0].Value)
	assert.Equal(t, "1", rest.TotalSize)

	// POST with a body works too, and sorts.
	code, body, _ = s.rest(t, "POST", "/v1/datasets:search", `{"query":"","orderBy":"name desc"}`, s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	assert.Regexp(t, `(?s)datasets/photos.*datasets/empty.*datasets/churn`, body)
}

func TestSearch_FollowsWrites(t *testing.T) {
	s := startSidecar(t)
	seedSearch(t, s)
	sc, dsc := kamldv1.NewSearchServiceClient(s.conn), kamldv1.NewDatasetServiceClient(s.conn)
	count := func(q string) int64 {
		res, err := sc.SearchDatasets(s.authed(), &kamldv1.SearchDatasetsRequest{Query: q})
		require.NoError(t, err)
		return res.GetTotalSize()
	}
	_, err := dsc.UpdateDataset(s.authed(), &kamldv1.UpdateDatasetRequest{
		Dataset:    &kamldv1.Dataset{Name: "datasets/empty", Tags: []string{"renamed"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"tags"}},
	})
	require.NoError(t, err)
	assert.EqualValues(t, 1, count("tag:renamed"))

	_, err = dsc.DeleteDataset(s.authed(), &kamldv1.DeleteDatasetRequest{Name: "datasets/churn"})
	require.NoError(t, err)
	assert.EqualValues(t, 0, count("churn"))
	assert.EqualValues(t, 2, count(""))
}

func TestSearch_Pagination(t *testing.T) {
	s := startSidecar(t)
	seedSearch(t, s)
	sc := kamldv1.NewSearchServiceClient(s.conn)
	var got []string
	req := &kamldv1.SearchDatasetsRequest{OrderBy: "updated", PageSize: 1}
	for range 10 {
		res, err := sc.SearchDatasets(s.authed(), req)
		require.NoError(t, err)
		got = append(got, names(res)...)
		if res.GetNextPageToken() == "" {
			break
		}
		req.PageToken = res.GetNextPageToken()
	}
	assert.ElementsMatch(t, []string{"datasets/churn", "datasets/empty", "datasets/photos"}, got)

	// A token of another query is refused.
	_, err := sc.SearchDatasets(s.authed(), &kamldv1.SearchDatasetsRequest{Query: "x", OrderBy: "updated", PageToken: req.PageToken})
	assertViolation(t, err, "page_token", "")
	code, _, _ := s.rest(t, "GET", "/v1/datasets:search?pageToken=garbage", "", s.bearer())
	assert.Equal(t, http.StatusBadRequest, code)
}

func assertViolation(t *testing.T, err error, field, descPart string) {
	t.Helper()
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code(), "%v", err)
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field {
					assert.Contains(t, v.GetDescription(), descPart)
					return
				}
			}
		}
	}
	t.Fatalf("no field violation on %q in %v", field, st.Details())
}

func TestSearch_BadInput_GRPCAndREST(t *testing.T) {
	s := startSidecar(t)
	sc := kamldv1.NewSearchServiceClient(s.conn)
	for q, pos := range map[string]string{
		`churn "customers`: "at position 7", "colour:red": "at position 1", "size:5GB..1KB": "at position 6",
		"updated:yesterday": "at position 9", "(a b": "at position 1",
	} {
		_, err := sc.SearchDatasets(s.authed(), &kamldv1.SearchDatasetsRequest{Query: q})
		assertViolation(t, err, "query", pos)
		code, body, _ := s.rest(t, "GET", "/v1/datasets:search?query="+url.QueryEscape(q), "", s.bearer())
		assert.Equal(t, http.StatusBadRequest, code, q)
		assert.Contains(t, body, `"field":"query"`)
		assert.Contains(t, body, pos)
	}
	long := make([]byte, 1025)
	for i := range long {
		long[i] = 'x'
	}
	_, err := sc.SearchDatasets(s.authed(), &kamldv1.SearchDatasetsRequest{Query: string(long)})
	assertViolation(t, err, "query", "at position 1025")

	_, err = sc.SearchDatasets(s.authed(), &kamldv1.SearchDatasetsRequest{OrderBy: "colour"})
	assertViolation(t, err, "order_by", "unknown order")
	_, err = sc.SearchDatasets(s.authed(), &kamldv1.SearchDatasetsRequest{Facets: []string{"description"}})
	assertViolation(t, err, "facets", "unknown facet")
	_, err = sc.SearchDatasets(s.authed(), &kamldv1.SearchDatasetsRequest{PageSize: -1})
	assertViolation(t, err, "page_size", "negative")

	_, err = sc.SuggestValues(s.authed(), &kamldv1.SuggestValuesRequest{Field: "description"})
	assertViolation(t, err, "field", "not one of")
	code, _, _ := s.rest(t, "GET", "/v1/datasets:suggest?field=colour", "", s.bearer())
	assert.Equal(t, http.StatusBadRequest, code)

	// Without a token: UNAUTHENTICATED / 401, like every other RPC.
	_, err = sc.SearchDatasets(s.withToken("wrong"), &kamldv1.SearchDatasetsRequest{})
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
	code, _, _ = s.rest(t, "GET", "/v1/datasets:search", "", nil)
	assert.Equal(t, http.StatusUnauthorized, code)
}

func TestSuggest_GRPCAndREST(t *testing.T) {
	s := startSidecar(t)
	seedSearch(t, s)
	sc := kamldv1.NewSearchServiceClient(s.conn)
	res, err := sc.SuggestValues(s.authed(), &kamldv1.SuggestValuesRequest{Field: "owner"})
	require.NoError(t, err)
	require.Len(t, res.GetValues(), 2)
	assert.Equal(t, "alice", res.GetValues()[0].GetValue())
	assert.EqualValues(t, 2, res.GetValues()[0].GetCount())

	code, body, _ := s.rest(t, "GET", "/v1/datasets:suggest?field=format&prefix=P", "", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	assert.JSONEq(t, `{"values":[{"value":"parquet","count":"1"}]}`, body)
}
