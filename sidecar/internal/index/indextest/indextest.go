// Package indextest is the one conformance suite of index.Index: every backend (index/bleve on a temporary
// directory, Elasticsearch on a real server) runs it unchanged and must give the same results for the same
// corpus and queries. Relevance scores may differ between backends; the sets of matches, facet counts, orders
// other than relevance, pagination and highlights may not.
package indextest

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/query"
)

// NewIndex returns an empty index for one test; the test's cleanup closes and discards it.
type NewIndex func(t *testing.T) index.Index

// Run runs the whole suite.
func Run(t *testing.T, newIndex NewIndex) {
	t.Run("Health", func(t *testing.T) { require.NoError(t, newIndex(t).Health(ctxFor(t))) })
	t.Run("GetRoundTrip", func(t *testing.T) { testGet(t, newIndex(t)) })
	t.Run("Queries", func(t *testing.T) { testQueries(t, loaded(t, newIndex)) })
	t.Run("Sort", func(t *testing.T) { testSort(t, loaded(t, newIndex)) })
	t.Run("Pagination", func(t *testing.T) { testPagination(t, loaded(t, newIndex)) })
	t.Run("Facets", func(t *testing.T) { testFacets(t, loaded(t, newIndex)) })
	t.Run("Highlights", func(t *testing.T) { testHighlights(t, loaded(t, newIndex)) })
	t.Run("Suggest", func(t *testing.T) { testSuggest(t, loaded(t, newIndex)) })
	t.Run("UpsertReplaces", func(t *testing.T) { testUpsertReplaces(t, loaded(t, newIndex)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, loaded(t, newIndex)) })
	t.Run("BadRequests", func(t *testing.T) { testBadRequests(t, loaded(t, newIndex)) })
	t.Run("Rebuild", func(t *testing.T) { testRebuild(t, loaded(t, newIndex)) })
	t.Run("RebuildFailureKeepsCurrent", func(t *testing.T) { testRebuildFailure(t, loaded(t, newIndex)) })
	t.Run("Access", func(t *testing.T) { testAccess(t, newIndex(t)) })
}

// ---- helpers -----------------------------------------------------------------------------------------------

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func loaded(t *testing.T, newIndex NewIndex) index.Index {
	ix := newIndex(t)
	require.NoError(t, ix.Upsert(ctxFor(t), Corpus()...))
	return ix
}

func parse(t *testing.T, q string) query.Node {
	t.Helper()
	n, err := query.Parse(q)
	require.NoError(t, err, "query %q", q)
	return n
}

// search returns every match of q in order, following cursors.
func search(t *testing.T, ix index.Index, req index.Request) []string {
	t.Helper()
	var ids []string
	for range 1000 {
		res, err := ix.Search(ctxFor(t), &req)
		require.NoError(t, err)
		for _, h := range res.Hits {
			ids = append(ids, h.Doc.ID)
		}
		if res.Next == nil {
			require.Len(t, ids, int(res.Total), "the pages together hold every match")
			return ids
		}
		require.NotEmpty(t, res.Hits, "a page with a next cursor has hits")
		req.After = res.Next
	}
	t.Fatal("pagination does not end")
	return nil
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func byID(docs []*index.Document) map[string]*index.Document {
	m := map[string]*index.Document{}
	for _, d := range docs {
		m[d.ID] = d
	}
	return m
}

// ---- tests -------------------------------------------------------------------------------------------------

func testGet(t *testing.T, ix index.Index) {
	ctx := ctxFor(t)
	_, err := ix.Get(ctx, "iris")
	require.ErrorIs(t, err, apierr.ErrNotFound)
	require.NoError(t, ix.Upsert(ctx, Corpus()...))
	for _, want := range Corpus() {
		got, err := ix.Get(ctx, want.ID)
		require.NoError(t, err)
		assert.Equal(t, want.ID, got.ID)
		assert.Equal(t, want.Description, got.Description)
		assert.ElementsMatch(t, want.Tags, got.Tags)
		assert.Equal(t, len(want.Labels), len(got.Labels))
		for k, v := range want.Labels {
			assert.Equal(t, v, got.Labels[k], "label %s", k)
		}
		assert.Equal(t, want.Owner, got.Owner)
		assert.ElementsMatch(t, want.Formats, got.Formats)
		assert.Equal(t, want.Columns, got.Columns)
		assert.Equal(t, []int64{want.Bytes, want.Files, want.Rows, want.Sequence}, []int64{got.Bytes, got.Files, got.Rows, got.Sequence})
		assert.True(t, want.CreateTime.Equal(got.CreateTime), "create time %v != %v", got.CreateTime, want.CreateTime)
		assert.True(t, want.UpdateTime.Equal(got.UpdateTime), "update time %v != %v", got.UpdateTime, want.UpdateTime)
		assert.Equal(t, want.Snapshot, got.Snapshot)
		assert.Equal(t, want.Version, got.Version)
	}
}

func testQueries(t *testing.T, ix index.Index) {
	for _, c := range queries {
		t.Run(c.query, func(t *testing.T) {
			got := search(t, ix, index.Request{Query: parse(t, c.query), PageSize: 100, Sort: index.Sort{By: index.ByName}})
			assert.Equal(t, sorted(c.want), got, "query %q", c.query)
			rel := search(t, ix, index.Request{Query: parse(t, c.query), PageSize: 100})
			assert.Equal(t, sorted(c.want), sorted(rel), "query %q by relevance", c.query)
		})
	}
	t.Run("NilQueryMatchesAll", func(t *testing.T) {
		assert.Equal(t, allIDs, search(t, ix, index.Request{PageSize: 5, Sort: index.Sort{By: index.ByName}}))
	})
}

func testSort(t *testing.T, ix index.Index) {
	docs := Corpus()
	cases := []struct {
		sort index.Sort
		less func(a, b *index.Document) int
	}{
		{index.Sort{By: index.ByName}, func(a, b *index.Document) int { return 0 }},
		{index.Sort{By: index.ByName, Desc: true}, func(a, b *index.Document) int { return -compareStr(a.ID, b.ID) }},
		{index.Sort{By: index.ByUpdated, Desc: true}, func(a, b *index.Document) int { return b.UpdateTime.Compare(a.UpdateTime) }},
		{index.Sort{By: index.ByUpdated}, func(a, b *index.Document) int { return a.UpdateTime.Compare(b.UpdateTime) }},
		{index.Sort{By: index.BySize, Desc: true}, func(a, b *index.Document) int { return compareInt(b.Bytes, a.Bytes) }},
		{index.Sort{By: index.BySize}, func(a, b *index.Document) int { return compareInt(a.Bytes, b.Bytes) }},
	}
	for _, c := range cases {
		t.Run(string(c.sort.By)+map[bool]string{true: " desc", false: " asc"}[c.sort.Desc], func(t *testing.T) {
			want := slices.Clone(docs)
			slices.SortStableFunc(want, func(a, b *index.Document) int {
				if r := c.less(a, b); r != 0 {
					return r
				}
				return compareStr(a.ID, b.ID)
			})
			var ids []string
			for _, d := range want {
				ids = append(ids, d.ID)
			}
			assert.Equal(t, ids, search(t, ix, index.Request{PageSize: 100, Sort: c.sort}))
		})
	}
	t.Run("RelevanceScoresDescend", func(t *testing.T) {
		res, err := ix.Search(ctxFor(t), &index.Request{Query: parse(t, "classification"), PageSize: 10})
		require.NoError(t, err)
		require.Len(t, res.Hits, 3)
		for i := 1; i < len(res.Hits); i++ {
			assert.GreaterOrEqual(t, res.Hits[i-1].Score, res.Hits[i].Score)
		}
		assert.Positive(t, res.Hits[0].Score)
	})
}

func compareStr(a, b string) int { return cmp.Compare(a, b) }

func compareInt(a, b int64) int { return cmp.Compare(a, b) }

func cnt(v string, n int64) index.Count { return index.Count{Value: v, Count: n} }

func testPagination(t *testing.T, ix index.Index) {
	for _, q := range []string{"", "classification OR tag:finance OR owner:alice", "-tag:tabular"} {
		for _, by := range []index.SortBy{index.ByRelevance, index.ByUpdated, index.ByName, index.BySize} {
			for _, size := range []int{1, 2, 4} {
				full := search(t, ix, index.Request{Query: parse(t, q), PageSize: 100, Sort: index.Sort{By: by}})
				paged := search(t, ix, index.Request{Query: parse(t, q), PageSize: size, Sort: index.Sort{By: by}})
				assert.Equal(t, full, paged, "query %q sort %s page size %d", q, by, size)
			}
		}
	}
	t.Run("LastPageHasNoCursor", func(t *testing.T) {
		res, err := ix.Search(ctxFor(t), &index.Request{Query: parse(t, "iris"), PageSize: 1})
		require.NoError(t, err)
		require.Len(t, res.Hits, 1)
		assert.EqualValues(t, 1, res.Total)
		if res.Next != nil { // a backend may not know the page was last; the next one must then be empty
			res, err = ix.Search(ctxFor(t), &index.Request{Query: parse(t, "iris"), PageSize: 1, After: res.Next})
			require.NoError(t, err)
			assert.Empty(t, res.Hits)
			assert.Nil(t, res.Next)
		}
	})
}

func testFacets(t *testing.T, ix index.Index) {
	res, err := ix.Search(ctxFor(t), &index.Request{
		Query: parse(t, "tag:classification"), PageSize: 1,
		Facets: []string{index.FacetTag, index.FacetFormat, index.FacetOwner, index.FacetLabel},
	})
	require.NoError(t, err)
	assert.EqualValues(t, 3, res.Total)
	assert.Len(t, res.Hits, 1)
	want := []index.Facet{
		{Field: index.FacetTag, Values: []index.Count{cnt("classification", 3), cnt("tabular", 2), cnt("biology", 1), cnt("botany", 1), cnt("images", 1)}},
		{Field: index.FacetFormat, Values: []index.Count{cnt("csv", 1), cnt("image", 1), cnt("parquet", 1)}},
		{Field: index.FacetOwner, Values: []index.Count{cnt("kamld", 2), cnt("alice", 1)}},
		{Field: index.FacetLabel, Values: []index.Count{cnt("licence=cc-by", 1), cnt("licence=cc0", 1), cnt("source=palmer", 1), cnt("source=uci", 1)}},
	}
	assert.Equal(t, want, res.Facets)

	res, err = ix.Search(ctxFor(t), &index.Request{Query: parse(t, "nothing-matches-this"), PageSize: 10, Facets: []string{index.FacetTag}})
	require.NoError(t, err)
	assert.Zero(t, res.Total)
	require.Len(t, res.Facets, 1)
	assert.Equal(t, index.FacetTag, res.Facets[0].Field)
	assert.Empty(t, res.Facets[0].Values)
}

func testHighlights(t *testing.T, ix index.Index) {
	res, err := ix.Search(ctxFor(t), &index.Request{Query: parse(t, "ledger"), PageSize: 10, Highlight: true})
	require.NoError(t, err)
	require.Len(t, res.Hits, 1)
	frags := map[string][]string{}
	for _, h := range res.Hits[0].Highlights {
		frags[h.Field] = h.Fragments
	}
	require.NotEmpty(t, frags["description"], "highlights: %v", res.Hits[0].Highlights)
	assert.Contains(t, frags["description"][0], "<mark>ledger</mark>")
	assert.Contains(t, frags["description"][0], "&lt;2024&gt; &amp; journals", "the rest is escaped")
	assert.NotEmpty(t, frags["name"])
	for _, h := range res.Hits[0].Highlights {
		for _, f := range h.Fragments {
			assert.Contains(t, f, "<mark>", "only fields with a match are highlighted: %s", h.Field)
		}
	}

	res, err = ix.Search(ctxFor(t), &index.Request{Query: parse(t, `"penguin species"`), PageSize: 10, Highlight: true})
	require.NoError(t, err)
	require.Len(t, res.Hits, 1)
	require.NotEmpty(t, res.Hits[0].Highlights)
	var desc string
	for _, h := range res.Hits[0].Highlights {
		if h.Field == "description" {
			desc = h.Fragments[0]
		}
	}
	assert.Contains(t, desc, "<mark>penguin</mark>")
	assert.Contains(t, desc, "<mark>species</mark>")

	res, err = ix.Search(ctxFor(t), &index.Request{Query: parse(t, "ledger"), PageSize: 10})
	require.NoError(t, err)
	assert.Empty(t, res.Hits[0].Highlights, "no highlights unless asked")
}

func testSuggest(t *testing.T, ix index.Index) {
	cases := []struct {
		field, prefix string
		limit         int
		want          []index.Count
	}{
		{index.FacetTag, "c", 10, []index.Count{cnt("classification", 3), cnt("c:d", 1), cnt("churn", 1)}},
		{index.FacetTag, "C", 10, []index.Count{cnt("classification", 3), cnt("c:d", 1), cnt("churn", 1)}},
		{index.FacetTag, "c", 1, []index.Count{cnt("classification", 3)}},
		{index.FacetOwner, "", 3, []index.Count{cnt("alice", 2), cnt("carol", 2), cnt("kamld", 2)}},
		{index.FacetFormat, "p", 10, []index.Count{cnt("parquet", 3)}},
		{index.FacetLabel, "", 10, []index.Count{cnt("source", 4), cnt("licence", 2), cnt("team", 2)}},
		{index.SuggestColumn, "pe", 10, []index.Count{cnt("petal_length", 1), cnt("petal_width", 1)}},
		{index.SuggestColumn, "spe", 10, []index.Count{cnt("species", 2)}},
		{index.FacetTag, "zzz", 10, nil},
	}
	for _, c := range cases {
		got, err := ix.Suggest(ctxFor(t), c.field, c.prefix, c.limit, index.Readers{})
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "suggest %s %q", c.field, c.prefix)
	}
	_, err := ix.Suggest(ctxFor(t), "description", "", 10, index.Readers{})
	assert.Equal(t, codes.InvalidArgument, apierr.Code(err))
}

func testUpsertReplaces(t *testing.T, ix index.Index) {
	ctx := ctxFor(t)
	d := byID(Corpus())["iris"]
	d.Tags = []string{"flowers-renamed"}
	d.Description = "replaced"
	require.NoError(t, ix.Upsert(ctx, d))
	assert.Empty(t, search(t, ix, index.Request{Query: parse(t, "tag:botany"), PageSize: 10}))
	assert.Equal(t, []string{"iris"}, search(t, ix, index.Request{Query: parse(t, "tag:flowers-renamed"), PageSize: 10}))
	assert.Equal(t, []string{"iris"}, search(t, ix, index.Request{Query: parse(t, "replaced"), PageSize: 10}))
	assert.Len(t, search(t, ix, index.Request{PageSize: 100}), len(allIDs), "no duplicate")
}

func testDelete(t *testing.T, ix index.Index) {
	ctx := ctxFor(t)
	require.NoError(t, ix.Delete(ctx, "iris", "wine", "never-existed"))
	assert.Equal(t, []string{"penguins"}, search(t, ix, index.Request{Query: parse(t, "species"), PageSize: 10}))
	_, err := ix.Get(ctx, "iris")
	require.ErrorIs(t, err, apierr.ErrNotFound)
	assert.Len(t, search(t, ix, index.Request{PageSize: 100}), len(allIDs)-2)
	got, err := ix.Suggest(ctx, index.FacetTag, "reg", 10, index.Readers{})
	require.NoError(t, err)
	assert.Empty(t, got, "suggestions forget deleted documents")
}

func testBadRequests(t *testing.T, ix index.Index) {
	for name, req := range map[string]index.Request{
		"page size 0":    {PageSize: 0},
		"page size 1001": {PageSize: 1001},
		"unknown facet":  {PageSize: 10, Facets: []string{"description"}},
		"unknown sort":   {PageSize: 10, Sort: index.Sort{By: "colour"}},
		"foreign cursor": {PageSize: 10, After: []string{"not", "a", "cursor", "of", "mine"}},
	} {
		_, err := ix.Search(ctxFor(t), &req)
		assert.Equal(t, codes.InvalidArgument, apierr.Code(err), "%s: %v", name, err)
	}
}

func testRebuild(t *testing.T, ix index.Index) {
	ctx := ctxFor(t)
	subset := Corpus()[:3]
	err := ix.Rebuild(ctx, func(ctx context.Context, w index.Writer) error {
		// Searches keep being served by the current generation while the new one fills.
		assert.Len(t, search(t, ix, index.Request{PageSize: 100}), len(allIDs))
		if err := w.Upsert(ctx, subset...); err != nil {
			return err
		}
		// A write through the index during the rebuild must survive the swap.
		return ix.Upsert(ctx, &index.Document{ID: "late", Description: "written during the rebuild", CreateTime: day("2026-01-01"), UpdateTime: day("2026-01-01")})
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"iris", "late", "penguins", "wine"}, search(t, ix, index.Request{PageSize: 100, Sort: index.Sort{By: index.ByName}}))
	got, err := ix.Suggest(ctx, index.FacetOwner, "", 10, index.Readers{})
	require.NoError(t, err)
	assert.Equal(t, []index.Count{cnt("kamld", 2), cnt("alice", 1)}, got)

	// A second rebuild works too (generations keep turning over).
	require.NoError(t, ix.Rebuild(ctx, func(ctx context.Context, w index.Writer) error { return w.Upsert(ctx, Corpus()...) }))
	assert.Equal(t, allIDs, search(t, ix, index.Request{PageSize: 100, Sort: index.Sort{By: index.ByName}}))
}

func testRebuildFailure(t *testing.T, ix index.Index) {
	ctx := ctxFor(t)
	err := ix.Rebuild(ctx, func(ctx context.Context, w index.Writer) error {
		if err := w.Upsert(ctx, Corpus()[:1]...); err != nil {
			return err
		}
		return assert.AnError
	})
	require.ErrorIs(t, err, assert.AnError)
	assert.Equal(t, allIDs, search(t, ix, index.Request{PageSize: 100, Sort: index.Sort{By: index.ByName}}))
}
