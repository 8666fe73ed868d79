package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/testserver/elasticsearch"
)

// startSidecarOnElasticsearch runs a sidecar whose index is a real Elasticsearch, returned so tests can stop
// and restart it.
func startSidecarOnElasticsearch(t *testing.T) (*sidecar, *elasticsearch.Server) {
	t.Helper()
	es := elasticsearch.Start(t)
	s := startSidecar(t, func(c *config.Config) {
		c.Index.Backend = "elasticsearch"
		c.Index.Elastic.URLs = []string{es.URL()}
	})
	return s, es
}

// TestElasticsearch_SearchAndOutage: the same searches as on bleve answer over gRPC and REST with
// Elasticsearch behind them. Then Elasticsearch stops: writes still succeed, search answers UNAVAILABLE (503
// over REST), readiness reports the index; when it returns, the index catches up with the writes it missed.
func TestElasticsearch_SearchAndOutage(t *testing.T) {
	s, es := startSidecarOnElasticsearch(t)
	seedSearch(t, s)
	sc, dsc := kamldv1.NewSearchServiceClient(s.conn), kamldv1.NewDatasetServiceClient(s.conn)
	search := func(q string) ([]string, error) {
		res, err := sc.SearchDatasets(s.authed(), &kamldv1.SearchDatasetsRequest{Query: q, OrderBy: "name"})
		return names(res), err
	}
	for q, want := range map[string][]string{
		"tag:finance":                {"datasets/churn"},
		"format:parquet":             {"datasets/churn"},
		"format:csv label:team=risk": {"datasets/churn"},
		"owner:alice":                {"datasets/empty", "datasets/photos"},
		`"telecom operator"`:         {"datasets/churn"},
		"-owner:alice OR tag:images": {"datasets/churn", "datasets/photos"},
		"":                           {"datasets/churn", "datasets/empty", "datasets/photos"},
	} {
		got, err := search(q)
		require.NoError(t, err, q)
		assert.Equal(t, want, got, "query %q", q)
	}
	code, body, _ := s.rest(t, "GET", "/v1/datasets:search?query=flowers&facets=owner&highlight=true", "", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, "<mark>flowers</mark>")
	assert.Contains(t, body, `"datasets/photos"`)

	es.Stop()
	_, err := dsc.CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "during-outage", Dataset: &kamldv1.Dataset{Description: "written while the index was down", Tags: []string{"outage"}}})
	require.NoError(t, err, "writes succeed while the index is down")
	_, err = dsc.UpdateDataset(s.authed(), &kamldv1.UpdateDatasetRequest{
		Dataset:    &kamldv1.Dataset{Name: "datasets/empty", Tags: []string{"retagged"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"tags"}},
	})
	require.NoError(t, err)
	_, err = dsc.DeleteDataset(s.authed(), &kamldv1.DeleteDatasetRequest{Name: "datasets/photos"})
	require.NoError(t, err)

	_, err = search("tag:outage")
	require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	code, body, _ = s.rest(t, "GET", "/v1/datasets:search?query=tag:outage", "", s.bearer())
	assert.Equal(t, http.StatusServiceUnavailable, code, body)
	assert.Equal(t, int(codes.Unavailable), decodeStatus(t, body).Code)
	require.Eventually(t, func() bool {
		code, body, _ := s.rest(t, "GET", "/readyz", "", nil)
		return code == http.StatusServiceUnavailable && assert.Contains(t, body, "index")
	}, 15*time.Second, 200*time.Millisecond, "readiness reports the index")

	// A sidecar started while Elasticsearch is down starts all the same, and is not ready until it returns.
	late := startSidecar(t, func(c *config.Config) {
		c.Index.Backend = "elasticsearch"
		c.Index.Elastic.URLs = []string{es.URL()}
	})
	code, body, _ = late.rest(t, "GET", "/readyz", "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, code, body)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	require.NoError(t, es.Restart(ctx))
	// The catch-up applies the three missed writes one dataset at a time; wait until all have landed.
	caughtUp := map[string][]string{"tag:outage": {"datasets/during-outage"}, "tag:retagged": {"datasets/empty"}, "flowers": nil}
	require.Eventually(t, func() bool {
		for q, want := range caughtUp {
			if got, err := search(q); err != nil || !assert.ObjectsAreEqual(want, got) {
				return false
			}
		}
		return true
	}, time.Minute, 250*time.Millisecond, "the index catches up with the writes it missed (created, retagged, deleted)")
	for _, sc := range []*sidecar{s, late} {
		require.Eventually(t, func() bool {
			code, _, _ := sc.rest(t, "GET", "/readyz", "", nil)
			return code == http.StatusOK
		}, 15*time.Second, 200*time.Millisecond, "ready again")
	}
}
