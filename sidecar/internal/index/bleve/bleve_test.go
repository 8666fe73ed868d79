package bleve

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/indextest"
)

func TestConformance(t *testing.T) {
	indextest.Run(t, func(t *testing.T) index.Index {
		ix, err := New(t.TempDir())
		require.NoError(t, err)
		t.Cleanup(func() { _ = ix.Close() })
		return ix
	})
}

func TestReopenKeepsTheSwappedGeneration(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	ix, err := New(dir)
	require.NoError(t, err)
	require.NoError(t, ix.Upsert(ctx, indextest.Corpus()...))
	require.NoError(t, ix.Rebuild(ctx, func(ctx context.Context, w index.Writer) error {
		return w.Upsert(ctx, indextest.Corpus()[:2]...)
	}))
	require.NoError(t, ix.Close())

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"CURRENT", "gen-2"}, names, "the previous generation is removed")

	ix, err = New(dir)
	require.NoError(t, err)
	defer ix.Close()
	res, err := ix.Search(ctx, &index.Request{PageSize: 10})
	require.NoError(t, err)
	assert.EqualValues(t, 2, res.Total)
}

func TestSecondOpenFailsClearly(t *testing.T) {
	dir := t.TempDir()
	ix, err := New(dir)
	require.NoError(t, err)
	defer ix.Close()
	_, err = New(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another kamld")
}

func TestClosedIsUnavailable(t *testing.T) {
	ix, err := New(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, ix.Close())
	_, err = ix.Search(t.Context(), &index.Request{PageSize: 1})
	assert.ErrorIs(t, err, apierr.ErrUnavailable)
	assert.ErrorIs(t, ix.Health(t.Context()), apierr.ErrUnavailable)
	assert.ErrorIs(t, ix.Upsert(t.Context(), indextest.Corpus()...), apierr.ErrUnavailable)
}

// TestCatalogFacetsFollowWrites: the whole catalog's facet counts, kept between writes, are exactly the
// documents' after every upsert, update, delete and rebuild.
func TestCatalogFacetsFollowWrites(t *testing.T) {
	ctx := t.Context()
	ix, err := New(t.TempDir())
	require.NoError(t, err)
	defer ix.Close()
	docs := map[string]*index.Document{}
	put := func(ds ...*index.Document) {
		require.NoError(t, ix.Upsert(ctx, ds...))
		for _, d := range ds {
			docs[d.ID] = d
		}
	}
	check := func(step string) {
		t.Helper()
		for range 2 { // computed, then kept
			res, err := ix.Search(ctx, &index.Request{PageSize: 5, Facets: []string{index.FacetTag, index.FacetOwner, index.FacetFormat}})
			require.NoError(t, err)
			assert.EqualValues(t, len(docs), res.Total, step)
			want := map[string]map[string]int64{index.FacetTag: {}, index.FacetOwner: {}, index.FacetFormat: {}}
			for _, d := range docs {
				for _, v := range d.Tags {
					want[index.FacetTag][v]++
				}
				for _, v := range d.Formats {
					want[index.FacetFormat][v]++
				}
				if d.Owner != "" {
					want[index.FacetOwner][d.Owner]++
				}
			}
			for _, f := range res.Facets {
				got := map[string]int64{}
				for _, c := range f.Values {
					got[c.Value] = c.Count
				}
				assert.Equal(t, want[f.Field], got, "%s: facet %s", step, f.Field)
			}
		}
	}
	put(indextest.Generate(50, 7)...)
	check("first upsert")
	changed := *docs["ds-0000003"]
	changed.Tags, changed.Owner, changed.Formats = []string{"brand-new"}, "zed", []string{"parquet"}
	put(&changed)
	check("after an update")
	require.NoError(t, ix.Delete(ctx, "ds-0000004", "ds-0000010"))
	delete(docs, "ds-0000004")
	delete(docs, "ds-0000010")
	check("after deletes")
	put(indextest.Generate(60, 7)[50:]...)
	check("after more upserts")
	keep := indextest.Generate(5, 9)
	require.NoError(t, ix.Rebuild(ctx, func(ctx context.Context, w index.Writer) error { return w.Upsert(ctx, keep...) }))
	docs = map[string]*index.Document{}
	for _, d := range keep {
		docs[d.ID] = d
	}
	check("after a rebuild")
}
