// Package searchsvc serves kamld.v1.SearchService over the search index (package index, kept in step by
// package search): it parses requests into index requests and maps the results to messages.
package searchsvc

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/query"
	"github.com/kamld/kamld/sidecar/internal/resource"
	"github.com/kamld/kamld/sidecar/internal/search"
)

// Service serves kamld.v1.SearchService over an index.
type Service struct {
	kamldv1.UnimplementedSearchServiceServer
	ix index.Index
}

// NewService returns the service over ix.
func NewService(ix index.Index) *Service { return &Service{ix: ix} }

// Page sizes (pagination in common.proto).
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

var facetNames = map[string]bool{index.FacetTag: true, index.FacetFormat: true, index.FacetOwner: true, index.FacetLabel: true}

// SearchDatasets implements kamld.v1.SearchService.
func (s *Service) SearchDatasets(ctx context.Context, req *kamldv1.SearchDatasetsRequest) (*kamldv1.SearchDatasetsResponse, error) {
	ireq, err := indexRequest(req)
	if err != nil {
		return nil, err
	}
	ireq.Readers = readersOf(ctx)
	res, err := s.ix.Search(ctx, ireq)
	if err != nil {
		return nil, err
	}
	out := &kamldv1.SearchDatasetsResponse{TotalSize: res.Total}
	for _, h := range res.Hits {
		r := &kamldv1.SearchResult{Dataset: toDataset(h.Doc), Score: h.Score}
		for _, hl := range h.Highlights {
			r.Highlights = append(r.Highlights, &kamldv1.Highlight{Field: hl.Field, Fragments: hl.Fragments})
		}
		out.Results = append(out.Results, r)
	}
	for _, f := range res.Facets {
		pf := &kamldv1.Facet{Field: f.Field}
		for _, v := range f.Values {
			pf.Values = append(pf.Values, &kamldv1.FacetValue{Value: v.Value, Count: v.Count})
		}
		out.Facets = append(out.Facets, pf)
	}
	if res.Next != nil {
		out.NextPageToken = encodeToken(bind(req), res.Next)
	}
	return out, nil
}

func indexRequest(req *kamldv1.SearchDatasetsRequest) (*index.Request, error) {
	var violations []apierr.FieldViolation
	node, err := query.Parse(req.GetQuery())
	var qe *query.Error
	if errors.As(err, &qe) {
		violations = append(violations, apierr.FieldViolation{Field: "query", Description: qe.Error()})
	}
	sort, err := parseOrder(req.GetOrderBy())
	if err != nil {
		violations = append(violations, apierr.FieldViolation{Field: "order_by", Description: err.Error()})
	}
	for _, f := range req.GetFacets() {
		if !facetNames[f] {
			violations = append(violations, apierr.FieldViolation{Field: "facets", Description: "unknown facet \"" + f + "\"; facets are tag, format, owner and label"})
		}
	}
	size := int(req.GetPageSize())
	switch {
	case size < 0:
		violations = append(violations, apierr.FieldViolation{Field: "page_size", Description: "must not be negative"})
	case size == 0:
		size = DefaultPageSize
	case size > MaxPageSize:
		size = MaxPageSize
	}
	var after []string
	if t := req.GetPageToken(); t != "" {
		if after = decodeToken(bind(req), t); after == nil {
			violations = append(violations, apierr.FieldViolation{Field: "page_token", Description: "does not belong to this query and order; start again without it"})
		}
	}
	if err := apierr.InvalidArguments(violations); err != nil {
		return nil, err
	}
	return &index.Request{Query: node, Facets: req.GetFacets(), Sort: sort, PageSize: size, After: after, Highlight: req.GetHighlight()}, nil
}

// parseOrder reads "relevance", "updated", "name" or "size", optionally followed by "asc" or "desc".
// Defaults: relevance, newest, A→Z, largest first.
func parseOrder(s string) (index.Sort, error) {
	f := strings.Fields(strings.ToLower(s))
	if len(f) == 0 {
		return index.Sort{By: index.ByRelevance}, nil
	}
	by := index.SortBy(f[0])
	st := index.Sort{By: by, Desc: by != index.ByName}
	switch by {
	case index.ByRelevance, index.ByUpdated, index.ByName, index.BySize:
	default:
		return st, errors.New("unknown order \"" + f[0] + "\"; use relevance, updated, name or size, optionally with asc or desc")
	}
	if len(f) > 2 || (len(f) == 2 && f[1] != "asc" && f[1] != "desc") {
		return st, errors.New("the direction must be asc or desc")
	}
	if len(f) == 2 {
		if by == index.ByRelevance && f[1] == "asc" {
			return st, errors.New("relevance is always highest first")
		}
		st.Desc = f[1] == "desc"
	}
	return st, nil
}

// bind ties a page token to the parameters that decide the order of results.
func bind(req *kamldv1.SearchDatasetsRequest) string {
	h := sha256.Sum256([]byte(req.GetQuery() + "\x00" + req.GetOrderBy()))
	return hex.EncodeToString(h[:8])
}

type token struct {
	Bind  string   `json:"b"`
	After []string `json:"a"`
}

func encodeToken(b string, after []string) string {
	raw, _ := json.Marshal(token{Bind: b, After: after})
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeToken(b, s string) []string {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	var t token
	if err != nil || json.Unmarshal(raw, &t) != nil || t.Bind != b || len(t.After) == 0 {
		return nil
	}
	return t.After
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func toDataset(d *index.Document) *kamldv1.Dataset {
	out := &kamldv1.Dataset{
		Name: resource.DatasetName(d.ID), Description: d.Description, Tags: d.Tags, Labels: d.Labels, Owner: d.Owner,
		CreateTime: ts(d.CreateTime), UpdateTime: ts(d.UpdateTime),
		Stats:         &kamldv1.Stats{FileCount: d.Files, TotalBytes: d.Bytes, RowCount: d.Rows},
		SnapshotCount: d.Sequence, Etag: search.EtagOf(d.Version),
	}
	if d.Snapshot != "" {
		out.HeadSnapshot = resource.DatasetName(d.ID) + "/snapshots/" + d.Snapshot
	}
	return out
}

// Suggestion limits.
const (
	DefaultSuggestions = 10
	MaxSuggestions     = 100
)

var suggestFields = map[string]bool{index.FacetTag: true, index.FacetOwner: true, index.FacetFormat: true, index.FacetLabel: true, index.SuggestColumn: true}

// SuggestValues implements kamld.v1.SearchService.
func (s *Service) SuggestValues(ctx context.Context, req *kamldv1.SuggestValuesRequest) (*kamldv1.SuggestValuesResponse, error) {
	var violations []apierr.FieldViolation
	if !suggestFields[req.GetField()] {
		violations = append(violations, apierr.FieldViolation{Field: "field", Description: "\"" + req.GetField() + "\" is not one of tag, owner, format, label, column"})
	}
	if utf8.RuneCountInString(req.GetPrefix()) > query.MaxValueLength {
		violations = append(violations, apierr.FieldViolation{Field: "prefix", Description: "longer than 256 characters"})
	}
	limit := int(req.GetLimit())
	switch {
	case limit < 0:
		violations = append(violations, apierr.FieldViolation{Field: "limit", Description: "must not be negative"})
	case limit == 0:
		limit = DefaultSuggestions
	case limit > MaxSuggestions:
		limit = MaxSuggestions
	}
	if err := apierr.InvalidArguments(violations); err != nil {
		return nil, err
	}
	vals, err := s.ix.Suggest(ctx, req.GetField(), req.GetPrefix(), limit, readersOf(ctx))
	if err != nil {
		return nil, err
	}
	out := &kamldv1.SuggestValuesResponse{}
	for _, v := range vals {
		out.Values = append(out.Values, &kamldv1.FacetValue{Value: v.Value, Count: v.Count})
	}
	return out, nil
}

// readersOf is the access restriction of the caller's searches: every search and suggestion is filtered
// inside the index by the reader terms of the caller (package access), so hits, totals, facets and
// suggestions never count a dataset the caller cannot read. A platform admin is unrestricted.
func readersOf(ctx context.Context) index.Readers {
	terms := access.PrincipalTerms(auth.PrincipalFrom(ctx))
	return index.Readers{Restricted: terms != nil, Terms: terms}
}
