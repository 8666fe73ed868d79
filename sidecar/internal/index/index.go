// Package index is the search index of dataset metadata (docs/search.md): one Document per dataset, derived
// from the object store and rebuildable from it. Backends: index/bleve (embedded, in the data directory) and
// Elasticsearch. Every backend passes index/indextest unchanged, with the same results for the same corpus and
// queries; the query is parsed once (index/query) and each backend translates the tree.
package index

import (
	"context"
	"time"

	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/index/query"
)

// Document is what the index holds for one dataset. Keyword values (tags, owner, labels) are indexed
// exactly as given; formats and column names are lower-cased by the caller (see Normalize).
type Document struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Owner       string            `json:"owner,omitempty"`
	// Formats of the files of the latest snapshot: "csv", "parquet", "jsonl", "image", … (sorted, unique).
	Formats []string `json:"formats,omitempty"`
	// Columns of the tabular files of the latest snapshot (unique by name).
	Columns    []Column  `json:"columns,omitempty"`
	Bytes      int64     `json:"bytes"`
	Files      int64     `json:"files"`
	Rows       int64     `json:"rows"`
	CreateTime time.Time `json:"createTime"`
	UpdateTime time.Time `json:"updateTime"`
	// Snapshot is the latest snapshot id ("" before the first) and Sequence its number.
	Snapshot string `json:"snapshot,omitempty"`
	Sequence int64  `json:"sequence,omitempty"`
	// Version identifies the store state the document was built from (dataset etag and head snapshot): the
	// catch-up compares it with the store.
	Version string `json:"version,omitempty"`
	// Readers are the terms of who may read the dataset (access.DocTerms): a search restricted to Readers
	// matches the document only when the two share a term. Indexed as keywords, never returned as a facet.
	Readers []string `json:"readers,omitempty"`
}

// Column is one column of a tabular file.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
}

// Sort orders search results.
type Sort struct {
	By SortBy
	// Desc orders by the key descending (ties still by id ascending). ByRelevance ignores it: highest score
	// first, always.
	Desc bool
}

// SortBy names a sort key. Every order breaks ties by dataset id ascending, so pages are stable.
type SortBy string

// Sort keys. Relevance is by score, highest first; the others follow Sort.Desc (the service defaults to
// newest and largest first, and A→Z for names).
const (
	ByRelevance SortBy = "relevance"
	ByUpdated   SortBy = "updated"
	ByName      SortBy = "name"
	BySize      SortBy = "size"
)

// Facet fields. Label facet values are "key=value".
const (
	FacetTag    = "tag"
	FacetFormat = "format"
	FacetOwner  = "owner"
	FacetLabel  = "label"
)

// Suggest fields: the facet fields (for "label", the label keys) and "column".
const SuggestColumn = "column"

// MaxFacetValues bounds the values returned per facet, most frequent first (ties by value ascending).
const MaxFacetValues = 50

// Request is one search.
type Request struct {
	// Query is the parsed query; nil or an empty query.And matches every document.
	Query query.Node
	// Facets to count over all matches (Facet* names).
	Facets []string
	Sort   Sort
	// PageSize is the number of hits to return, 1..1000.
	PageSize int
	// After continues after the last hit of a previous page: its Result.Next, unchanged. Only valid for the
	// same Query and Sort.
	After []string
	// Highlight asks for fragments of the text fields that free-text terms matched.
	Highlight bool
	// Readers restricts the search to documents the caller may read; the backend applies it inside the
	// query, so Total and Facets count only those documents.
	Readers Readers
}

// Readers is a search's access restriction. Unrestricted (the zero value) matches every document; a
// restricted one matches the documents whose Document.Readers share a term with Terms (none when Terms is
// empty).
type Readers struct {
	Restricted bool
	Terms      []string
}

// Result is one page of hits.
type Result struct {
	Hits []Hit
	// Total counts all matches.
	Total int64
	// Facets in the order requested.
	Facets []Facet
	// Next is the cursor after the last hit, nil when this is the last page. Backends encode it as they
	// like; callers treat it as opaque.
	Next []string
}

// Hit is one matching document.
type Hit struct {
	Doc   *Document
	Score float64
	// Highlights of text fields ("description", "name", "tags", "columns") with matches wrapped in <mark> and
	// </mark> and every other '<', '>', '&' escaped. Empty unless requested.
	Highlights []Highlight
}

// Highlight is the fragments of one field.
type Highlight struct {
	Field     string
	Fragments []string
}

// Facet is the counts of one field's values.
type Facet struct {
	Field  string
	Values []Count
}

// Count is a value and how many documents have it.
type Count struct {
	Value string
	Count int64
}

// Writer adds and removes documents.
type Writer interface {
	// Upsert adds documents or replaces those with the same ID. Once it returns, searches see them.
	Upsert(ctx context.Context, docs ...*Document) error
	// Delete removes documents by ID; unknown IDs are not an error. Once it returns, searches no longer see
	// them.
	Delete(ctx context.Context, ids ...string) error
}

// Index is a search index of dataset documents.
//
// Errors: a backend that cannot be reached answers an error wrapping apierr.ErrUnavailable from every
// method; a bad Request (page size, unknown facet or sort, a cursor it did not issue) wraps an *apierr.Error
// with INVALID_ARGUMENT. Methods are safe for concurrent use.
type Index interface {
	backend.Backend
	Writer
	// Get returns one document, or an error wrapping apierr.ErrNotFound.
	Get(ctx context.Context, id string) (*Document, error)
	// Search runs a query.
	Search(ctx context.Context, req *Request) (*Result, error)
	// Suggest returns values of a field (a Facet* name or SuggestColumn) starting with prefix
	// (case-insensitive), most frequent first, ties by value ascending, at most limit, counting only the
	// documents readers admits.
	Suggest(ctx context.Context, field, prefix string, limit int, readers Readers) ([]Count, error)
	// Rebuild builds a new generation of the index and swaps it in atomically once fill returns nil: until
	// then, searches are served by the current generation, without downtime. fill writes every document into
	// the new generation through w. Upserts and Deletes made through this Index while Rebuild runs reach both
	// generations, so none is lost by the swap. If fill fails, the new generation is discarded and the
	// current one stays. The previous generation is removed after the swap.
	Rebuild(ctx context.Context, fill func(ctx context.Context, w Writer) error) error
}
