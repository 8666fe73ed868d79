package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/query"
)

// maxPageSize bounds Request.PageSize, as the index contract says.
const maxPageSize = 1000

// facetFields maps facet names to keyword fields.
var facetFields = map[string]string{
	index.FacetTag:    fTag,
	index.FacetFormat: fFormat,
	index.FacetOwner:  fOwner,
	index.FacetLabel:  fLabel,
}

// Highlight markers: control characters, which kamld's validation keeps out of every stored string, stand in
// for <mark> and </mark> until the fragment has been HTML-escaped.
const (
	markOpen  = "\x01"
	markClose = "\x02"
)

// Search implements index.Index.
func (x *Index) Search(ctx context.Context, r *index.Request) (*index.Result, error) {
	body, order, err := x.searchBody(r)
	if err != nil {
		return nil, err
	}
	if err := x.ensureAlias(ctx); err != nil {
		return nil, err
	}
	var resp searchResponse
	err = x.call(ctx, req{method: http.MethodPost, path: pathOf(x.alias, "_search"), body: body}, &resp)
	if isType(err, "index_not_found_exception") {
		x.forget()
	}
	if err != nil {
		return nil, err
	}
	return resp.result(r, order)
}

// searchBody builds the _search body of a request, validating it first.
func (x *Index) searchBody(r *index.Request) (dsl, *sortOrder, error) {
	if r.PageSize < 1 || r.PageSize > maxPageSize {
		return nil, nil, apierr.InvalidArgument("page_size", "must be between 1 and %d, not %d", maxPageSize, r.PageSize)
	}
	order, err := sortOf(r.Sort)
	if err != nil {
		return nil, nil, err
	}
	q, err := translate(r.Query)
	if err != nil {
		return nil, nil, err
	}
	q = restrict(q, r.Readers)
	body := dsl{
		"query":            q,
		"size":             r.PageSize + 1, // one more tells whether there is a next page
		"sort":             order.clauses,
		"track_total_hits": true,
		"track_scores":     true,
		"_source":          []string{fDoc},
	}
	if len(r.After) > 0 {
		after, err := order.decodeCursor(r.After)
		if err != nil {
			return nil, nil, err
		}
		body["search_after"] = after
	}
	if len(r.Facets) > 0 {
		aggs, err := facetAggs(r.Facets)
		if err != nil {
			return nil, nil, err
		}
		body["aggs"] = aggs
	}
	if r.Highlight {
		if h := highlight(r.Query); h != nil {
			body["highlight"] = h
		}
	}
	return body, order, nil
}

func facetAggs(facets []string) (dsl, error) {
	aggs := dsl{}
	for _, f := range facets {
		field, ok := facetFields[f]
		if !ok {
			return nil, apierr.InvalidArgument("facets", "unknown facet %q: use tag, format, owner or label", f)
		}
		aggs[f] = dsl{"terms": dsl{
			"field": field,
			"size":  index.MaxFacetValues,
			"order": []dsl{{"_count": "desc"}, {"_key": "asc"}},
		}}
	}
	return aggs, nil
}

// highlight marks the positive free-text terms of q in the text fields; nil when q has none.
func highlight(q query.Node) dsl {
	texts := query.Texts(q)
	if len(texts) == 0 {
		return nil
	}
	should := make([]dsl, len(texts))
	for i, t := range texts {
		should[i] = textClause(t)
	}
	fields := dsl{}
	for _, f := range textFields {
		// Names, tags and columns are short: return whole values. Descriptions give a few fragments.
		opts := dsl{"number_of_fragments": 0}
		if f.es == fDesc {
			opts = dsl{"fragment_size": 150, "number_of_fragments": 3}
		}
		fields[f.es] = opts
	}
	return dsl{
		"highlight_query": dsl{"bool": dsl{"should": should}},
		// The plain highlighter marks each word of a matched phrase on its own ("<mark>penguin</mark>
		// <mark>species</mark>"), as bleve does; the unified one would mark the phrase as one span.
		"type":                "plain",
		"pre_tags":            []string{markOpen},
		"post_tags":           []string{markClose},
		"require_field_match": true,
		"fields":              fields,
	}
}

// markup HTML-escapes a fragment and turns the markers into <mark> elements.
func markup(fragment string) string {
	// Only the three characters the contract names are escaped; quotes are safe in element content.
	s := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(fragment)
	return strings.NewReplacer(markOpen, "<mark>", markClose, "</mark>").Replace(s)
}

type searchResponse struct {
	Hits struct {
		Total struct {
			Value int64 `json:"value"`
		} `json:"total"`
		Hits []struct {
			ID        string              `json:"_id"`
			Score     *float64            `json:"_score"`
			Source    json.RawMessage     `json:"_source"`
			Sort      []json.RawMessage   `json:"sort"`
			Highlight map[string][]string `json:"highlight"`
		} `json:"hits"`
	} `json:"hits"`
	Aggregations map[string]struct {
		Buckets []struct {
			Key      string `json:"key"`
			DocCount int64  `json:"doc_count"`
		} `json:"buckets"`
	} `json:"aggregations"`
}

func (resp *searchResponse) result(r *index.Request, order *sortOrder) (*index.Result, error) {
	out := &index.Result{Total: resp.Hits.Total.Value}
	hits := resp.Hits.Hits
	more := len(hits) > r.PageSize
	if more {
		hits = hits[:r.PageSize]
	}
	for _, h := range hits {
		doc, err := fromSource(h.Source)
		if err != nil {
			return nil, err
		}
		hit := index.Hit{Doc: doc}
		if h.Score != nil {
			hit.Score = *h.Score
		}
		for _, f := range textFields {
			if frags := h.Highlight[f.es]; len(frags) > 0 {
				hl := index.Highlight{Field: f.api}
				for _, fr := range frags {
					hl.Fragments = append(hl.Fragments, markup(fr))
				}
				hit.Highlights = append(hit.Highlights, hl)
			}
		}
		out.Hits = append(out.Hits, hit)
	}
	if more {
		out.Next = order.encodeCursor(hits[len(hits)-1].Sort)
	}
	for _, f := range r.Facets {
		facet := index.Facet{Field: f, Values: []index.Count{}}
		for _, b := range resp.Aggregations[f].Buckets {
			facet.Values = append(facet.Values, index.Count{Value: b.Key, Count: b.DocCount})
		}
		out.Facets = append(out.Facets, facet)
	}
	return out, nil
}

// suggestFields maps Suggest's field names to keyword fields; "label" completes label keys.
var suggestFields = map[string]string{
	index.FacetTag:      fTag,
	index.FacetFormat:   fFormat,
	index.FacetOwner:    fOwner,
	index.FacetLabel:    fLabelKey,
	index.SuggestColumn: fColumn,
}

// Suggest implements index.Index with a terms aggregation over every document, restricted to values that
// start with prefix by an "include" pattern in which every character of the prefix is a literal.
func (x *Index) Suggest(ctx context.Context, field, prefix string, limit int, readers index.Readers) ([]index.Count, error) {
	f, ok := suggestFields[field]
	if !ok {
		return nil, apierr.InvalidArgument("field", "unknown field %q: use tag, owner, format, label or column", field)
	}
	if limit < 1 {
		return nil, apierr.InvalidArgument("limit", "must be at least 1, not %d", limit)
	}
	terms := dsl{"field": f, "size": limit, "order": []dsl{{"_count": "desc"}, {"_key": "asc"}}}
	if prefix != "" {
		terms["include"] = prefixPattern(prefix)
	}
	body := dsl{"size": 0, "query": restrict(dsl{"match_all": dsl{}}, readers), "aggs": dsl{"values": dsl{"terms": terms}}}
	if err := x.ensureAlias(ctx); err != nil {
		return nil, err
	}
	var resp searchResponse
	err := x.call(ctx, req{method: http.MethodPost, path: pathOf(x.alias, "_search"), body: body}, &resp)
	if isType(err, "index_not_found_exception") {
		x.forget()
	}
	if err != nil {
		return nil, err
	}
	var out []index.Count // nil when nothing matches, as the bleve backend answers
	for _, b := range resp.Aggregations["values"].Buckets {
		out = append(out, index.Count{Value: b.Key, Count: b.DocCount})
	}
	return out, nil
}

// prefixPattern is a Lucene regular expression matching values that start with prefix, ignoring case: a
// letter becomes a class of its cases ([aA]) and every other character is escaped with a backslash, which
// Lucene's syntax allows before any character, so nothing in prefix acts as an operator.
func prefixPattern(prefix string) string {
	var b strings.Builder
	for _, r := range prefix {
		lo, up := strings.ToLower(string(r)), strings.ToUpper(string(r))
		if lo != up && utf8.RuneCountInString(lo) == 1 && utf8.RuneCountInString(up) == 1 {
			fmt.Fprintf(&b, "[%s%s]", lo, up)
			continue
		}
		b.WriteByte('\\')
		b.WriteRune(r)
	}
	b.WriteString(".*")
	return b.String()
}

// restrict adds the access filter to q in filter context: it selects documents without scoring, inside the
// query, so hits, totals and aggregations all see only readable documents.
func restrict(q dsl, r index.Readers) dsl {
	if !r.Restricted {
		return q
	}
	if len(r.Terms) == 0 {
		return dsl{"match_none": dsl{}}
	}
	return dsl{"bool": dsl{"must": []dsl{q}, "filter": []dsl{{"terms": dsl{fReaders: r.Terms}}}}}
}
