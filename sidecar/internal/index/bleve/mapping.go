package bleve

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/kamld/kamld/sidecar/internal/index"
)

// Field names in the bleve documents. Keyword fields hold exact values (facets, filters); *_lc fields hold
// them lower-cased for case-insensitive prefix suggestions; *_text fields are analyzed for free text.
const (
	fID          = "id"
	fNameText    = "name_text"
	fDescription = "description"
	fTags        = "tags"
	fTagsLC      = "tags_lc"
	fTagsText    = "tags_text"
	fLabelKeys   = "label_keys"
	fLabelKV     = "label_kv"
	fOwner       = "owner"
	fOwnerLC     = "owner_lc"
	fFormats     = "formats"
	fColumns     = "columns"
	fColumnsText = "columns_text"
	fBytes       = "bytes"
	fRows        = "rows"
	fCreated     = "created"
	fUpdated     = "updated"
	fSource      = "source"
	fReaders     = "readers"
)

// textAnalyzer splits on Unicode word boundaries (UAX #29) and lower-cases, with no stemming and no stop
// words: what Elasticsearch's standard analyzer does, so both backends match the same documents.
const textAnalyzer = "kamld_text"

// textFields are searched by free text, with the name the API reports them under in highlights.
var textFields = []struct{ field, api string }{
	{fNameText, "name"}, {fDescription, "description"}, {fTagsText, "tags"}, {fColumnsText, "columns"},
}

// mappingVersion changes whenever newMapping does; a stored index with another version is rebuilt.
const mappingVersion = "2" // 2: readers (access control)

func newMapping() (*mapping.IndexMappingImpl, error) {
	m := mapping.NewIndexMapping()
	if err := m.AddCustomAnalyzer(textAnalyzer, map[string]any{
		"type": custom.Name, "tokenizer": unicode.Name, "token_filters": []string{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	text := func() *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer, f.Store, f.IncludeTermVectors, f.IncludeInAll = textAnalyzer, true, true, false
		return f
	}
	kw := func() *mapping.FieldMapping {
		f := mapping.NewKeywordFieldMapping()
		f.Analyzer, f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = keyword.Name, false, false, false, true
		return f
	}
	num := func() *mapping.FieldMapping {
		f := mapping.NewNumericFieldMapping()
		f.Store, f.IncludeInAll, f.DocValues = false, false, true
		return f
	}
	date := func() *mapping.FieldMapping {
		f := mapping.NewDateTimeFieldMapping()
		f.Store, f.IncludeInAll, f.DocValues = false, false, true
		return f
	}
	source := mapping.NewTextFieldMapping()
	source.Index, source.Store, source.IncludeInAll, source.IncludeTermVectors, source.DocValues = false, true, false, false, false

	doc := mapping.NewDocumentStaticMapping()
	for name, f := range map[string]*mapping.FieldMapping{
		fID: kw(), fNameText: text(), fDescription: text(), fTags: kw(), fTagsLC: kw(), fTagsText: text(),
		fLabelKeys: kw(), fLabelKV: kw(), fOwner: kw(), fOwnerLC: kw(), fReaders: kw(), fFormats: kw(), fColumns: kw(),
		fColumnsText: text(), fBytes: num(), fRows: num(), fCreated: date(), fUpdated: date(), fSource: source,
	} {
		doc.AddFieldMappingsAt(name, f)
	}
	m.DefaultMapping = doc
	m.DefaultAnalyzer = textAnalyzer
	return m, nil
}

// fieldsOf is the bleve document of an index.Document.
func fieldsOf(d *index.Document) (map[string]any, error) {
	src, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var keys, kv, cols []string
	for k, v := range d.Labels {
		keys, kv = append(keys, k), append(kv, k+"="+v)
	}
	for _, c := range d.Columns {
		cols = append(cols, strings.ToLower(c.Name))
	}
	slices.Sort(keys)
	slices.Sort(kv)
	out := map[string]any{
		fID: d.ID, fNameText: d.ID, fDescription: d.Description,
		fTags: d.Tags, fTagsLC: lower(d.Tags), fTagsText: d.Tags,
		fLabelKeys: keys, fLabelKV: kv,
		fFormats: lower(d.Formats), fColumns: cols, fColumnsText: cols,
		fBytes: float64(d.Bytes), fRows: float64(d.Rows), fSource: string(src), fReaders: d.Readers,
	}
	if d.Owner != "" { // an empty owner is no owner: not a facet value
		out[fOwner], out[fOwnerLC] = d.Owner, strings.ToLower(d.Owner)
	}
	if !d.CreateTime.IsZero() {
		out[fCreated] = d.CreateTime.UTC()
	}
	if !d.UpdateTime.IsZero() {
		out[fUpdated] = d.UpdateTime.UTC()
	}
	return out, nil
}

func lower(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(s)
	}
	return out
}
