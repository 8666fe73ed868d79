package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/config"
)

// The sample datasets of a new install are found by column name, tag, format and free text, over gRPC and
// REST alike (the panel and the magics are tested in Playwright and pytest).
func TestSampleDatasetsAreFound_GRPCAndREST(t *testing.T) {
	s := startSidecar(t, func(c *config.Config) { c.Samples = true })
	sc := kamldv1.NewSearchServiceClient(s.conn)
	grpcNames := func(q string) []string {
		res, err := sc.SearchDatasets(s.authed(), &kamldv1.SearchDatasetsRequest{Query: q, OrderBy: "name"})
		require.NoError(t, err, q)
		return names(res)
	}
	restNames := func(q string) []string {
		code, body, _ := s.rest(t, "GET", "/v1/datasets:search?orderBy=name&query="+url.QueryEscape(q), "", s.bearer())
		require.Equal(t, http.StatusOK, code, body)
		var res struct {
			Results []struct{ Dataset struct{ Name string } }
		}
		require.NoError(t, json.Unmarshal([]byte(body), &res))
		var out []string
		for _, r := range res.Results {
			out = append(out, r.Dataset.Name)
		}
		return out
	}
	cases := map[string][]string{
		"column:species":                {"datasets/iris", "datasets/penguins"},
		"column:temp_max":               {"datasets/seattle-weather"},
		"tag:weather":                   {"datasets/seattle-weather"},
		"format:parquet":                {"datasets/penguins", "datasets/wine"},
		"format:jsonl tag:time-series":  {"datasets/seattle-weather"},
		"antarctica":                    {"datasets/penguins"},
		`"linearly separable" -tag:csv`: nil,
	}
	// Samples are indexed as they are imported; allow the index a moment to settle.
	require.Eventually(t, func() bool { return len(grpcNames("column:species")) == 2 }, 20*time.Second, 100*time.Millisecond)
	for q, want := range cases {
		assert.Equal(t, want, grpcNames(q), "gRPC %q", q)
		assert.Equal(t, want, restNames(q), "REST %q", q)
	}
}
