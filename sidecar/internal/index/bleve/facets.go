package bleve

import (
	"context"
	"sync"
	"sync/atomic"

	blv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
)

// catalogFacets keeps the facet counts of the whole catalog (the match-all query: the panel's first view and
// every browse without a query), so that such a search need not visit every document's tag, format and owner
// values: that visit was most of its time (docs/benchmarks.md#search). The counts are computed by one search on
// first use after any write and kept until the next write. Exactness: writes make the counts stale through a
// sequence (odd while a write runs); counts are kept only when computed with no write running and none
// started since.
type catalogFacets struct {
	seq atomic.Uint64 // incremented before and after every write

	mu     sync.Mutex
	at     uint64 // seq the counts were computed at
	counts search.FacetResults
}

// writing marks a write in progress; call the returned function when it is done.
func (c *catalogFacets) writing() func() {
	c.seq.Add(1)
	return func() { c.seq.Add(1) }
}

// get returns the counts of every facet over the whole catalog of b, computing them if stale.
func (c *catalogFacets) get(ctx context.Context, b blv.Index) (search.FacetResults, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seq := c.seq.Load()
	if c.counts != nil && c.at == seq && seq%2 == 0 {
		return c.counts, nil
	}
	sr := blv.NewSearchRequestOptions(bq.NewMatchAllQuery(), 0, 0, false)
	for name, field := range facetFields {
		sr.AddFacet(name, blv.NewFacetRequest(field, facetScan))
	}
	res, err := b.SearchInContext(ctx, sr)
	if err != nil {
		return nil, err
	}
	if seq%2 == 0 && c.seq.Load() == seq {
		c.at, c.counts = seq, res.Facets
	}
	return res.Facets, nil
}

// matchAll reports whether q matches every document.
func matchAll(q bq.Query) bool {
	_, ok := q.(*bq.MatchAllQuery)
	return ok
}
