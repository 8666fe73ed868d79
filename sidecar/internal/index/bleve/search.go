package bleve

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	blv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/index"
)

// MaxPageSize bounds Request.PageSize.
const MaxPageSize = 1000

// facetFields maps facet names to keyword fields.
var facetFields = map[string]string{
	index.FacetTag: fTags, index.FacetFormat: fFormats, index.FacetOwner: fOwner, index.FacetLabel: fLabelKV,
}

// facetScan is how many values bleve counts per facet before we sort and cut to index.MaxFacetValues: more
// than we return, so ties at the cut are decided by value as the contract says, not by bleve's order.
const facetScan = 1000

// Search implements index.Index.
func (ix *Index) Search(ctx context.Context, req *index.Request) (*index.Result, error) {
	sr, err := request(req)
	if err != nil {
		return nil, err
	}
	// The whole catalog's facet counts are kept between writes (catalogFacets): a match-all search does not
	// count them again.
	cached := matchAll(sr.Query) && len(sr.Facets) > 0
	if cached {
		sr.Facets = nil
	}
	var res *blv.SearchResult
	if err := ix.read(func(b blv.Index) (err error) {
		if res, err = b.SearchInContext(ctx, sr); err != nil || !cached {
			return err
		}
		res.Facets, err = ix.facets.get(ctx, b)
		return err
	}); err != nil {
		return nil, searchErr(err)
	}
	out := &index.Result{Total: int64(res.Total)}
	hits := res.Hits
	if len(hits) > req.PageSize {
		hits = hits[:req.PageSize]
	}
	var frags map[string]search.FieldFragmentMap
	if req.Highlight && len(hits) > 0 {
		if frags, err = ix.highlight(ctx, sr.Query, hits); err != nil {
			return nil, err
		}
	}
	for _, h := range hits {
		h.Fragments = frags[h.ID]
		hit, err := toHit(h)
		if err != nil {
			return nil, err
		}
		out.Hits = append(out.Hits, hit)
	}
	if len(res.Hits) > req.PageSize {
		out.Next = cursor(req.Sort.By, out.Hits[len(out.Hits)-1])
	}
	for _, f := range req.Facets {
		out.Facets = append(out.Facets, index.Facet{Field: f, Values: facetValues(res.Facets[f], "", index.MaxFacetValues)})
	}
	return out, nil
}

func request(req *index.Request) (*blv.SearchRequest, error) {
	if req.PageSize < 1 || req.PageSize > MaxPageSize {
		return nil, apierr.InvalidArgument("page_size", "must be between 1 and %d, not %d", MaxPageSize, req.PageSize)
	}
	q, err := translate(req.Query)
	if err != nil {
		return nil, err
	}
	q = restrict(q, req.Readers)
	order, err := sortOrder(req.Sort)
	if err != nil {
		return nil, err
	}
	sr := blv.NewSearchRequestOptions(q, req.PageSize+1, 0, false)
	sr.SortByCustom(order)
	if req.Sort.By != index.ByRelevance && req.Sort.By != "" {
		sr.Score = blv.ScoreNone // ordered by a field: computing scores would be wasted work
	}
	sr.Fields = []string{fSource}
	if req.After != nil {
		if err := checkCursor(req.Sort.By, req.After); err != nil {
			return nil, err
		}
		sr.SetSearchAfter(req.After)
	}
	for _, f := range req.Facets {
		field, ok := facetFields[f]
		if !ok {
			return nil, apierr.InvalidArgument("facets", "unknown facet %q; facets are tag, format, owner and label", f)
		}
		sr.AddFacet(f, blv.NewFacetRequest(field, facetScan))
	}
	return sr, nil
}

// highlight runs the query again over the page's hits only, with highlighting: asking for it in the main
// search would make bleve record term locations for every match, not just the page.
func (ix *Index) highlight(ctx context.Context, q bq.Query, hits []*search.DocumentMatch) (map[string]search.FieldFragmentMap, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	sr := blv.NewSearchRequestOptions(bq.NewConjunctionQuery([]bq.Query{q, bq.NewDocIDQuery(ids)}), len(ids), 0, false)
	sr.Highlight = blv.NewHighlightWithStyle("html")
	for _, f := range textFields {
		sr.Highlight.AddField(f.field)
	}
	var res *blv.SearchResult
	if err := ix.read(func(b blv.Index) (err error) {
		res, err = b.SearchInContext(ctx, sr)
		return err
	}); err != nil {
		return nil, searchErr(err)
	}
	out := make(map[string]search.FieldFragmentMap, len(res.Hits))
	for _, h := range res.Hits {
		out[h.ID] = h.Fragments
	}
	return out, nil
}

// sortOrder is the order of a search. Ties, and the name order, go by the id field's doc values, not by
// bleve's document id (search.SortDocID): that one is read from each match's stored fields, decompressing them
// for every match, not just the page's. Measured at 10,000 datasets, the doc values cost about half as much
// (docs/benchmarks.md#search). The values are the same strings, so cursors are unchanged.
func sortOrder(s index.Sort) (search.SortOrder, error) {
	id := &search.SortField{Field: fID, Type: search.SortFieldAsString}
	switch s.By {
	case index.ByRelevance, "":
		return search.SortOrder{&search.SortScore{Desc: true}, id}, nil
	case index.ByName:
		return search.SortOrder{&search.SortField{Field: fID, Type: search.SortFieldAsString, Desc: s.Desc}}, nil
	case index.ByUpdated:
		return search.SortOrder{&search.SortField{Field: fUpdated, Type: search.SortFieldAsDate, Desc: s.Desc, Missing: search.SortFieldMissingLast}, id}, nil
	case index.BySize:
		return search.SortOrder{&search.SortField{Field: fBytes, Type: search.SortFieldAsNumber, Desc: s.Desc, Missing: search.SortFieldMissingLast}, id}, nil
	}
	return nil, apierr.InvalidArgument("order_by", "unknown sort %q; use relevance, updated, name or size", s.By)
}

// cursor is the sort values of a hit, in the form bleve's SearchAfter reads.
func cursor(by index.SortBy, h index.Hit) []string {
	switch by {
	case index.ByName:
		return []string{h.Doc.ID}
	case index.ByUpdated:
		return []string{h.Doc.UpdateTime.UTC().Format(time.RFC3339Nano), h.Doc.ID}
	case index.BySize:
		return []string{strconv.FormatInt(h.Doc.Bytes, 10), h.Doc.ID}
	}
	return []string{strconv.FormatFloat(h.Score, 'g', -1, 64), h.Doc.ID}
}

func checkCursor(by index.SortBy, after []string) error {
	bad := apierr.InvalidArgument("page_token", "not a cursor of this query and order")
	want := 2
	if by == index.ByName {
		want = 1
	}
	if len(after) != want {
		return bad
	}
	switch by {
	case index.ByUpdated:
		if _, err := time.Parse(time.RFC3339Nano, after[0]); err != nil {
			return bad
		}
	case index.BySize:
		if _, err := strconv.ParseInt(after[0], 10, 64); err != nil {
			return bad
		}
	case index.ByRelevance, "":
		if _, err := strconv.ParseFloat(after[0], 64); err != nil {
			return bad
		}
	}
	return nil
}

func toHit(h *search.DocumentMatch) (index.Hit, error) {
	src, _ := h.Fields[fSource].(string)
	var d index.Document
	if err := json.Unmarshal([]byte(src), &d); err != nil {
		return index.Hit{}, fmt.Errorf("index: document %s: %w", h.ID, err)
	}
	hit := index.Hit{Doc: &d, Score: h.Score}
	for _, f := range textFields {
		// bleve returns the start of a field even where nothing matched; only fragments with a match count.
		frags := slices.DeleteFunc(slices.Clone(h.Fragments[f.field]), func(s string) bool { return !strings.Contains(s, "<mark>") })
		if len(frags) > 0 {
			hit.Highlights = append(hit.Highlights, index.Highlight{Field: f.api, Fragments: frags})
		}
	}
	return hit, nil
}

// facetValues sorts a facet's counts (most frequent first, then by value), keeps those whose lower-cased
// value starts with prefix, and cuts to limit.
func facetValues(fr *search.FacetResult, prefix string, limit int) []index.Count {
	var out []index.Count
	if fr == nil {
		return out
	}
	prefix = strings.ToLower(prefix)
	for _, t := range fr.Terms.Terms() {
		if strings.HasPrefix(strings.ToLower(t.Term), prefix) {
			out = append(out, index.Count{Value: t.Term, Count: int64(t.Count)})
		}
	}
	slices.SortFunc(out, func(a, b index.Count) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Get implements index.Index.
func (ix *Index) Get(ctx context.Context, id string) (*index.Document, error) {
	sr := blv.NewSearchRequestOptions(bq.NewDocIDQuery([]string{id}), 1, 0, false)
	sr.Fields = []string{fSource}
	var res *blv.SearchResult
	if err := ix.read(func(b blv.Index) (err error) {
		res, err = b.SearchInContext(ctx, sr)
		return err
	}); err != nil {
		return nil, searchErr(err)
	}
	if len(res.Hits) == 0 {
		return nil, fmt.Errorf("dataset %q is not in the index: %w", id, apierr.ErrNotFound)
	}
	h, err := toHit(res.Hits[0])
	if err != nil {
		return nil, err
	}
	return h.Doc, nil
}

// suggestFields maps suggestable fields to (lower-cased field to match the prefix on, exact field to count).
var suggestFields = map[string][2]string{
	index.FacetTag: {fTagsLC, fTags}, index.FacetOwner: {fOwnerLC, fOwner}, index.FacetFormat: {fFormats, fFormats},
	index.FacetLabel: {fLabelKeys, fLabelKeys}, index.SuggestColumn: {fColumns, fColumns},
}

// Suggest implements index.Index: documents having a value with the prefix, counted per value.
func (ix *Index) Suggest(ctx context.Context, field, prefix string, limit int, readers index.Readers) ([]index.Count, error) {
	f, ok := suggestFields[field]
	if !ok {
		return nil, apierr.InvalidArgument("field", "cannot suggest values of %q; use tag, owner, format, label or column", field)
	}
	var q bq.Query = bq.NewMatchAllQuery()
	if prefix != "" {
		p := bq.NewPrefixQuery(strings.ToLower(prefix))
		p.SetField(f[0])
		q = p
	}
	q = restrict(q, readers)
	sr := blv.NewSearchRequestOptions(q, 0, 0, false)
	sr.AddFacet("values", blv.NewFacetRequest(f[1], facetScan))
	var res *blv.SearchResult
	if err := ix.read(func(b blv.Index) (err error) {
		res, err = b.SearchInContext(ctx, sr)
		return err
	}); err != nil {
		return nil, searchErr(err)
	}
	if vals := facetValues(res.Facets["values"], prefix, limit); len(vals) > 0 {
		return vals, nil
	}
	return nil, nil
}

// searchErr keeps errors already classified (cancellation, bad requests); anything else from bleve means the
// index cannot serve.
func searchErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || apierr.Code(err) != codes.Internal {
		return err
	}
	return fmt.Errorf("bleve index: %v: %w", err, apierr.ErrUnavailable)
}

// restrict adds the access filter to q: a disjunction of the reader terms, with boost 0 so that, like a filter
// clause in Elasticsearch, it selects documents without changing their scores.
func restrict(q bq.Query, r index.Readers) bq.Query {
	if !r.Restricted {
		return q
	}
	if len(r.Terms) == 0 {
		return bq.NewMatchNoneQuery()
	}
	terms := make([]bq.Query, len(r.Terms))
	for i, t := range r.Terms {
		tq := bq.NewTermQuery(t)
		tq.SetField(fReaders)
		tq.SetBoost(0)
		terms[i] = tq
	}
	d := bq.NewDisjunctionQuery(terms)
	d.SetMin(1)
	d.SetBoost(0)
	return bq.NewConjunctionQuery([]bq.Query{q, d})
}
