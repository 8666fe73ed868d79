package indextest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/index"
)

// accessCorpus: three datasets readable by different terms (access.DocTerms).
func accessCorpus() []*index.Document {
	return []*index.Document{
		{ID: "alice-private", Description: "sales data", Tags: []string{"secret"}, Owner: "alice", Readers: []string{"d:alice-private", "u:alice"}},
		{ID: "bob-shared", Description: "sales data weekly", Tags: []string{"weekly"}, Owner: "bob", Readers: []string{"d:bob-shared", "u:bob", "v:internal"}},
		{ID: "ml-group", Description: "more sales data here", Tags: []string{"secret", "ml"}, Owner: "carol", Readers: []string{"d:ml-group", "g:ml"}},
	}
}

// testAccess: a restricted search or suggestion sees only documents sharing a reader term, in hits, totals,
// facets and suggested values alike, and the restriction does not change scores.
func testAccess(t *testing.T, ix index.Index) {
	require.NoError(t, ix.Upsert(ctxFor(t), accessCorpus()...))
	restricted := func(terms ...string) index.Readers { return index.Readers{Restricted: true, Terms: terms} }
	req := func(r index.Readers) index.Request {
		return index.Request{Query: parse(t, "sales"), PageSize: 10, Facets: []string{index.FacetTag, index.FacetOwner}, Readers: r}
	}
	assert.Equal(t, []string{"alice-private", "bob-shared", "ml-group"}, sorted(search(t, ix, req(index.Readers{}))))
	assert.Equal(t, []string{"bob-shared"}, search(t, ix, req(restricted("u:dave", "v:internal"))))
	assert.Equal(t, []string{"bob-shared", "ml-group"}, sorted(search(t, ix, req(restricted("u:dave", "g:ml", "v:internal")))))
	assert.Empty(t, search(t, ix, req(restricted())), "restricted to no terms matches nothing")

	r := req(restricted("u:bob"))
	res, err := ix.Search(ctxFor(t), &r)
	require.NoError(t, err)
	assert.EqualValues(t, 1, res.Total)
	assert.Equal(t, []index.Facet{
		{Field: index.FacetTag, Values: []index.Count{cnt("weekly", 1)}},
		{Field: index.FacetOwner, Values: []index.Count{cnt("bob", 1)}},
	}, res.Facets, "facets count only readable documents")

	vals, err := ix.Suggest(ctxFor(t), index.FacetTag, "", 10, restricted("u:bob"))
	require.NoError(t, err)
	assert.Equal(t, []index.Count{cnt("weekly", 1)}, vals)
	vals, err = ix.Suggest(ctxFor(t), index.FacetOwner, "", 10, restricted())
	require.NoError(t, err)
	assert.Empty(t, vals)

	all := req(index.Readers{})
	open, err := ix.Search(ctxFor(t), &all)
	require.NoError(t, err)
	every := req(restricted("u:alice", "u:bob", "g:ml"))
	filtered, err := ix.Search(ctxFor(t), &every)
	require.NoError(t, err)
	require.Len(t, filtered.Hits, len(open.Hits))
	for i := range open.Hits {
		assert.Equal(t, open.Hits[i].Doc.ID, filtered.Hits[i].Doc.ID, "same order")
		assert.InDelta(t, open.Hits[i].Score, filtered.Hits[i].Score, 1e-9, "the filter does not score")
	}
}
