package search_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/datasets"
	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/index/elastic"
	"github.com/kamld/kamld/sidecar/internal/samples"
	"github.com/kamld/kamld/sidecar/internal/search"
	"github.com/kamld/kamld/sidecar/internal/searchsvc"
	"github.com/kamld/kamld/sidecar/internal/tabular"
	"github.com/kamld/kamld/sidecar/internal/testserver/elasticsearch"
)

// TestSampleDatasetsAreFindable_Elasticsearch: the sample datasets, imported as a new install does, are found
// by tag, format, free text, phrase, owner, label, size, rows and column name with Elasticsearch as the index,
// through the same Syncer and SearchService as on bleve.
func TestSampleDatasetsAreFindable_Elasticsearch(t *testing.T) {
	es := elasticsearch.Start(t)
	store, err := fs.New(t.TempDir())
	require.NoError(t, err)
	ix, err := elastic.New(elastic.Config{URLs: []string{es.URL()}, Alias: "kamld-datasets"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	syncer := search.NewSyncer(store, ix, search.WithSyncLogger(slog.New(slog.DiscardHandler)))
	engine := dataset.New(store, dataset.WithObserver(syncer.Observer))
	catalog, duck, err := tabular.OpenCatalog(ctx, engine, t.TempDir(), config.Default().SQL.DuckDB)
	require.NoError(t, err)
	t.Cleanup(func() { _ = duck.Close() })
	syncer.SetSchema(search.TabularSchema(engine, catalog))
	syncer.Start(ctx)

	imported, err := samples.ImportOnce(ctx, engine, store, datasets.FS, "test", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Len(t, imported, 5)
	svc := searchsvc.NewService(ix)
	check := func(stage string) {
		t.Helper()
		for q, want := range sampleQueriesES {
			res, err := svc.SearchDatasets(ctx, &kamldv1.SearchDatasetsRequest{Query: q, OrderBy: "name"})
			require.NoError(t, err, q)
			var got []string
			for _, r := range res.GetResults() {
				got = append(got, strings.TrimPrefix(r.GetDataset().GetName(), "datasets/"))
			}
			assert.Equal(t, want, got, "%s: query %q", stage, q)
		}
	}
	check("after import")

	// `kamld reindex` on Elasticsearch: a new generation is filled from the store and the alias moves to it.
	before := aliasTargets(t, es.URL())
	n, err := syncer.Reindex(ctx)
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	after := aliasTargets(t, es.URL())
	require.Len(t, after, 1)
	assert.NotEqual(t, before, after, "the alias points at a new generation")
	check("after reindex")
}

// aliasTargets asks Elasticsearch which indices the kamld-datasets alias points at.
func aliasTargets(t *testing.T, url string) []string {
	t.Helper()
	resp, err := http.Get(url + "/_alias/kamld-datasets")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return slices.Sorted(maps.Keys(m))
}

var sampleQueriesES = map[string][]string{
	"":                         {"iris", "penguins", "sample-images", "seattle-weather", "wine"},
	"tag:classification":       {"iris", "penguins", "wine"},
	"format:csv":               {"iris"},
	"format:parquet":           {"penguins", "wine"},
	"format:image":             {"sample-images"},
	"seattle":                  {"seattle-weather"},
	`"flipper length"`:         {"penguins"},
	"owner:kamld-samples":      {"iris", "penguins", "sample-images", "seattle-weather", "wine"},
	"label:license=CC0-1.0":    {"penguins", "sample-images"},
	"size:>300KB":              {"sample-images"},
	"-tag:tabular":             {"sample-images"},
	"column:species":           {"iris", "penguins"},
	"column:flipper_length_mm": {"penguins"},
	"rows:>1000":               {"seattle-weather"},
}
