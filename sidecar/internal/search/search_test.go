package search_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/datasets"
	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/bleve"
	"github.com/kamld/kamld/sidecar/internal/samples"
	"github.com/kamld/kamld/sidecar/internal/search"
	"github.com/kamld/kamld/sidecar/internal/searchsvc"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// outage wraps a real index and makes it unreachable on demand: every call then fails as a lost connection
// to a server would, with apierr.ErrUnavailable.
type outage struct {
	index.Index
	down atomic.Bool
}

var errDown = fmt.Errorf("index stopped: %w", apierr.ErrUnavailable)

func (o *outage) Health(ctx context.Context) error {
	if o.down.Load() {
		return errDown
	}
	return o.Index.Health(ctx)
}

func (o *outage) Upsert(ctx context.Context, docs ...*index.Document) error {
	if o.down.Load() {
		return errDown
	}
	return o.Index.Upsert(ctx, docs...)
}

func (o *outage) Delete(ctx context.Context, ids ...string) error {
	if o.down.Load() {
		return errDown
	}
	return o.Index.Delete(ctx, ids...)
}

func (o *outage) Search(ctx context.Context, r *index.Request) (*index.Result, error) {
	if o.down.Load() {
		return nil, errDown
	}
	return o.Index.Search(ctx, r)
}

type fixture struct {
	store  blob.Store
	ix     *outage
	engine *dataset.Engine
	syncer *search.Syncer
	svc    *searchsvc.Service
}

func newFixture(t *testing.T, opts ...search.SyncOption) *fixture {
	t.Helper()
	store, err := fs.New(t.TempDir())
	require.NoError(t, err)
	bl, err := bleve.New(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = bl.Close() })
	ix := &outage{Index: bl}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opts = append(opts, search.WithSyncLogger(slog.New(slog.DiscardHandler)))
	syncer := search.NewSyncer(store, ix, opts...)
	engine := dataset.New(store, dataset.WithObserver(syncer.Observer))
	catalog, duck, err := tabular.OpenCatalog(ctx, engine, t.TempDir(), config.Default().SQL.DuckDB)
	require.NoError(t, err)
	t.Cleanup(func() { _ = duck.Close() })
	syncer.SetSchema(search.TabularSchema(engine, catalog))
	syncer.Start(ctx)
	return &fixture{store: store, ix: ix, engine: engine, syncer: syncer, svc: searchsvc.NewService(ix)}
}

func (f *fixture) ids(t *testing.T, q string) []string {
	t.Helper()
	res, err := f.svc.SearchDatasets(t.Context(), &kamldv1.SearchDatasetsRequest{Query: q, OrderBy: "name"})
	require.NoError(t, err, q)
	var out []string
	for _, r := range res.GetResults() {
		out = append(out, strings.TrimPrefix(r.GetDataset().GetName(), "datasets/"))
	}
	return out
}

func TestSampleDatasetsAreFindable(t *testing.T) {
	f := newFixture(t)
	imported, err := samples.ImportOnce(t.Context(), f.engine, f.store, datasets.FS, "test", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Len(t, imported, 5)
	for q, want := range map[string][]string{
		"":                         {"iris", "penguins", "sample-images", "seattle-weather", "wine"},
		"tag:classification":       {"iris", "penguins", "wine"},
		"tag:images":               {"sample-images"},
		"format:csv":               {"iris"},
		"format:parquet":           {"penguins", "wine"},
		"format:jsonl":             {"sample-images", "seattle-weather"},
		"format:image":             {"sample-images"},
		"penguins":                 {"penguins"},
		"seattle":                  {"seattle-weather"},
		`"flipper length"`:         {"penguins"},
		"microscopy":               {"sample-images"},
		"owner:kamld-samples":      {"iris", "penguins", "sample-images", "seattle-weather", "wine"},
		"label:license=CC0-1.0":    {"penguins", "sample-images"},
		"size:>300KB":              {"sample-images"},
		"-tag:tabular":             {"sample-images"},
		"column:species":           {"iris", "penguins"},
		"column:flipper_length_mm": {"penguins"},
		"column:precipitation":     {"seattle-weather"},
		"column:proline":           {"wine"},
		"rows:>1000":               {"seattle-weather"},
	} {
		assert.Equal(t, want, f.ids(t, q), "query %q", q)
	}
}

func TestOutage_WritesSucceedSearchUnavailableThenCatchUp(t *testing.T) {
	f := newFixture(t, search.WithRetryInterval(20*time.Millisecond, time.Hour))
	ctx := t.Context()
	_, err := f.engine.CreateDataset(ctx, "before", dataset.Metadata{Tags: []string{"x"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"before"}, f.ids(t, "tag:x"))

	f.ix.down.Store(true)
	_, err = f.engine.CreateDataset(ctx, "during", dataset.Metadata{Tags: []string{"x"}})
	require.NoError(t, err, "writes succeed while the index is down")
	_, err = f.engine.UpdateDataset(ctx, "before", dataset.Metadata{Tags: []string{"y"}}, []string{dataset.FieldTags}, "")
	require.NoError(t, err)
	_, err = f.svc.SearchDatasets(ctx, &kamldv1.SearchDatasetsRequest{Query: "tag:x"})
	assert.Equal(t, codes.Unavailable, apierr.Code(err))

	markers, err := f.store.List(ctx, blob.ListOptions{Prefix: search.DirtyPrefix})
	require.NoError(t, err)
	assert.Len(t, markers.Objects, 2, "one durable marker per write not yet indexed")

	f.ix.down.Store(false)
	require.Eventually(t, func() bool {
		res, err := f.svc.SearchDatasets(ctx, &kamldv1.SearchDatasetsRequest{Query: "tag:x"})
		return err == nil && len(res.GetResults()) == 1 && res.GetResults()[0].GetDataset().GetName() == "datasets/during"
	}, 10*time.Second, 20*time.Millisecond, "the catch-up applies the writes made during the outage")
	assert.Equal(t, []string{"before"}, f.ids(t, "tag:y"))
	require.Eventually(t, func() bool {
		markers, err := f.store.List(ctx, blob.ListOptions{Prefix: search.DirtyPrefix})
		return err == nil && len(markers.Objects) == 0
	}, 10*time.Second, 20*time.Millisecond, "markers are removed once applied")
}

func TestCatchUpAfterRestart(t *testing.T) {
	// A sidecar that wrote while the index was down and then stopped leaves markers; the next one applies them.
	storeDir, indexDir := t.TempDir(), t.TempDir()
	store, err := fs.New(storeDir)
	require.NoError(t, err)
	bl, err := bleve.New(indexDir)
	require.NoError(t, err)
	ix := &outage{Index: bl}
	ix.down.Store(true)
	syncer := search.NewSyncer(store, ix, search.WithSyncLogger(slog.New(slog.DiscardHandler)))
	engine := dataset.New(store, dataset.WithObserver(syncer.Observer))
	_, err = engine.CreateDataset(t.Context(), "orphan", dataset.Metadata{Description: "written during an outage"})
	require.NoError(t, err)
	require.NoError(t, bl.Close())

	bl, err = bleve.New(indexDir)
	require.NoError(t, err)
	defer bl.Close()
	syncer = search.NewSyncer(store, bl)
	syncer.Observer(dataset.New(store))
	n, err := syncer.CatchUp(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	doc, err := bl.Get(t.Context(), "orphan")
	require.NoError(t, err)
	assert.Equal(t, "written during an outage", doc.Description)
}

func TestReindexRebuildsFromTheStore(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	for i := range 7 {
		_, err := f.engine.CreateDataset(ctx, fmt.Sprintf("ds-%d", i), dataset.Metadata{Tags: []string{"batch"}})
		require.NoError(t, err)
	}
	// The index drifts: a stray document, a lost one.
	require.NoError(t, f.ix.Upsert(ctx, &index.Document{ID: "stray"}))
	require.NoError(t, f.ix.Delete(ctx, "ds-3"))
	n, err := f.syncer.Reindex(ctx)
	require.NoError(t, err)
	assert.Equal(t, 7, n)
	assert.Equal(t, []string{"ds-0", "ds-1", "ds-2", "ds-3", "ds-4", "ds-5", "ds-6"}, f.ids(t, ""))
}

func TestEnsureBuiltFillsAnEmptyIndex(t *testing.T) {
	store, err := fs.New(t.TempDir())
	require.NoError(t, err)
	_, err = dataset.New(store).CreateDataset(t.Context(), "existing", dataset.Metadata{}) // written before search existed
	require.NoError(t, err)
	bl, err := bleve.New(t.TempDir())
	require.NoError(t, err)
	defer bl.Close()
	syncer := search.NewSyncer(store, bl)
	syncer.Observer(dataset.New(store))
	require.NoError(t, syncer.EnsureBuilt(t.Context()))
	_, err = bl.Get(t.Context(), "existing")
	require.NoError(t, err)
}

func TestFormatOf(t *testing.T) {
	for p, want := range map[string]string{
		"a.csv": "csv", "b/c.PARQUET": "parquet", "x.ndjson": "jsonl", "x.png": "image", "noext": "other",
		"weird.%%": "other", "model.pt": "pt",
	} {
		mt := ""
		if strings.HasSuffix(p, ".png") {
			mt = "image/png"
		}
		assert.Equal(t, want, search.FormatOf(p, mt), p)
	}
}

func TestConcurrentWritesLeaveTheIndexAtTheStoreState(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	_, err := f.engine.CreateDataset(ctx, "contended", dataset.Metadata{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			_, err := f.engine.UpdateDataset(ctx, "contended", dataset.Metadata{Tags: []string{fmt.Sprintf("v%d", i)}}, []string{dataset.FieldTags}, "")
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	stored, err := f.engine.GetDataset(ctx, "contended")
	require.NoError(t, err)
	indexed, err := f.ix.Get(ctx, "contended")
	require.NoError(t, err)
	assert.Equal(t, stored.Tags, indexed.Tags, "the last sync wrote the last state")
}
