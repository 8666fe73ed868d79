package elastic

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/index"
)

// Field names in the Elasticsearch documents. Keyword fields hold exact values for terms, facets and
// suggestions; their ".text" sub-fields are analysed for free text and highlighting.
const (
	fID       = "id"      // keyword; the dataset name; sort by name and tie-break
	fNameText = "id.text" // the name as free text
	fDesc     = "description"
	fTag      = "tag"      // keyword, exact
	fTagText  = "tag.text" // free text over tags
	fOwner    = "owner"    // keyword, exact
	fFormat   = "format"   // keyword, lower-cased
	fColumn   = "column"   // keyword, lower-cased (column:age is case-insensitive)
	fColText  = "column.text"
	fLabel    = "label"     // keyword "key=value"
	fLabelKey = "label_key" // keyword
	fBytes    = "bytes"
	fRows     = "rows"
	fCreated  = "created_ns" // long, Unix nanoseconds (see timeValue)
	fUpdated  = "updated_ns"
	fDoc      = "doc"     // the Document as given, stored but not indexed
	fReaders  = "readers" // keyword: who may read (access.DocTerms); filters only
)

// textFields are the fields free text searches, and the API names their highlights carry.
var textFields = []struct{ es, api string }{
	{fNameText, "name"},
	{fDesc, "description"},
	{fTagText, "tags"},
	{fColText, "columns"},
}

// analyzer is how free text is split and normalised: Unicode word boundaries (UAX #29) and lower case, with
// no stemming and no stop words — the same tokens the bleve backend produces, so both backends match the
// same documents for the same words.
const analyzer = "kamld_text"

// indexBody is the settings and mappings of every generation. One shard: a dataset catalogue is small (100k
// documents are a few hundred MB at most), and one shard keeps term-aggregation counts exact and scores
// consistent. auto_expand_replicas gives a replica wherever there is a second node to hold it.
func indexBody() map[string]any {
	keyword := func(extra map[string]any) map[string]any {
		m := map[string]any{"type": "keyword"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	text := map[string]any{"type": "text", "analyzer": analyzer}
	withText := map[string]any{"fields": map[string]any{"text": text}}
	lower := map[string]any{"normalizer": "kamld_lowercase"}
	return map[string]any{
		"settings": map[string]any{
			"number_of_shards":     1,
			"auto_expand_replicas": "0-1",
			"analysis": map[string]any{
				"analyzer": map[string]any{
					analyzer: map[string]any{"type": "standard", "stopwords": "_none_"},
				},
				"normalizer": map[string]any{
					"kamld_lowercase": map[string]any{"type": "custom", "filter": []string{"lowercase"}},
				},
			},
		},
		"mappings": map[string]any{
			"dynamic": "strict",
			"properties": map[string]any{
				fID:       keyword(withText),
				fDesc:     text,
				fTag:      keyword(withText),
				fOwner:    keyword(nil),
				fReaders:  keyword(nil),
				fFormat:   keyword(lower),
				"column":  keyword(merge(lower, withText)),
				fLabel:    keyword(nil),
				fLabelKey: keyword(nil),
				fBytes:    map[string]any{"type": "long"},
				"files":   map[string]any{"type": "long"},
				fRows:     map[string]any{"type": "long"},
				fCreated:  map[string]any{"type": "long"},
				fUpdated:  map[string]any{"type": "long"},
				fDoc:      map[string]any{"type": "object", "enabled": false},
			},
		},
	}
}

func merge(a, b map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// source is the stored form of a Document: the searchable projection plus the document itself.
type source struct {
	ID          string          `json:"id"`
	Description string          `json:"description,omitempty"`
	Tag         []string        `json:"tag,omitempty"`
	Owner       string          `json:"owner,omitempty"`
	Format      []string        `json:"format,omitempty"`
	Column      []string        `json:"column,omitempty"`
	Label       []string        `json:"label,omitempty"`
	LabelKey    []string        `json:"label_key,omitempty"`
	Bytes       int64           `json:"bytes"`
	Files       int64           `json:"files"`
	Rows        int64           `json:"rows"`
	CreatedNS   int64           `json:"created_ns"`
	UpdatedNS   int64           `json:"updated_ns"`
	Doc         json.RawMessage `json:"doc"`
	Readers     []string        `json:"readers,omitempty"`
}

func toSource(d *index.Document) (*source, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encoding document %q: %w", d.ID, err)
	}
	s := &source{
		ID: d.ID, Description: d.Description, Tag: d.Tags, Owner: d.Owner, Format: d.Formats,
		Bytes: d.Bytes, Files: d.Files, Rows: d.Rows,
		CreatedNS: timeValue(d.CreateTime), UpdatedNS: timeValue(d.UpdateTime), Doc: raw, Readers: d.Readers,
	}
	for _, c := range d.Columns {
		s.Column = append(s.Column, c.Name)
	}
	keys := make([]string, 0, len(d.Labels))
	for k := range d.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a stable source for identical documents
	for _, k := range keys {
		s.LabelKey = append(s.LabelKey, k)
		s.Label = append(s.Label, labelPair(k, d.Labels[k]))
	}
	return s, nil
}

func labelPair(k, v string) string { return k + "=" + v }

// fromSource decodes the stored Document of a hit.
func fromSource(raw json.RawMessage) (*index.Document, error) {
	var s struct {
		Doc json.RawMessage `json:"doc"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("decoding a stored document: %w", err)
	}
	d := &index.Document{}
	if err := json.Unmarshal(s.Doc, d); err != nil {
		return nil, fmt.Errorf("decoding a stored document: %w", err)
	}
	return d, nil
}

// timeValue is t as Unix nanoseconds, clamped to what int64 holds (years 1678-2262); the zero time (unset)
// and earlier times sort first. Nanoseconds rather than a date field keep range bounds exact: the query
// tree's ranges are half-open at nanosecond precision, and Elasticsearch dates stop at milliseconds.
func timeValue(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// validAlias checks an alias against Elasticsearch's index naming rules, leaving room for the generation
// suffix.
func validAlias(a string) error {
	switch {
	case a == "":
		return fmt.Errorf("an alias name is required")
	case len(a) > 200:
		return fmt.Errorf("%q is longer than 200 bytes", a)
	case a != strings.ToLower(a):
		return fmt.Errorf("%q must be lower case", a)
	case strings.HasPrefix(a, "-") || strings.HasPrefix(a, "_") || strings.HasPrefix(a, "+") || a == "." || a == "..":
		return fmt.Errorf("%q cannot start with -, _ or +", a)
	case strings.ContainsAny(a, `\/*?"<>| ,#:`):
		return fmt.Errorf(`%q contains a space or one of \ / * ? " < > | , # : (not allowed)`, a)
	}
	return nil
}
