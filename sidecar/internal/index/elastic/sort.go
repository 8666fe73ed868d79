package elastic

import (
	"bytes"
	"encoding/json"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/index"
)

// sortOrder is the sort clauses of one index.Sort and how to read and write its cursors.
type sortOrder struct {
	// tag names the order in cursors, so a cursor of another order is refused rather than misread.
	tag     string
	clauses []dsl
	// kinds says what each sort value is: a number or a string (the id).
	kinds []valueKind
}

type valueKind int

const (
	numberValue valueKind = iota
	stringValue
)

// sortFields maps sort keys to the field sorted on.
var sortFields = map[index.SortBy]string{
	index.ByRelevance: "_score",
	index.ByUpdated:   fUpdated,
	index.BySize:      fBytes,
	index.ByName:      fID,
}

// sortOf builds the order of s. Every order ends with the id ascending, so equal keys still page stably
// (ordering by name is ordering by id, in the chosen direction).
func sortOf(s index.Sort) (*sortOrder, error) {
	by := s.By
	if by == "" {
		by = index.ByRelevance
	}
	field, ok := sortFields[by]
	if !ok {
		return nil, apierr.InvalidArgument("order_by", "unknown sort %q: use relevance, updated, name or size", s.By)
	}
	dir := "asc"
	if descending(s) {
		dir = "desc"
	}
	o := &sortOrder{tag: string(by) + " " + dir}
	o.clauses = append(o.clauses, dsl{field: dsl{"order": dir}})
	if by == index.ByName {
		o.kinds = []valueKind{stringValue}
		return o, nil
	}
	o.clauses = append(o.clauses, dsl{fID: dsl{"order": "asc"}})
	o.kinds = []valueKind{numberValue, stringValue}
	return o, nil
}

// descending is the effective direction of s: relevance is always best first (as in the bleve backend);
// the other keys follow Desc.
func descending(s index.Sort) bool {
	return s.Desc || s.By == index.ByRelevance || s.By == ""
}

// encodeCursor is the order's tag followed by the last hit's sort values, as Elasticsearch gave them (JSON
// text, so 64-bit integers keep every digit).
func (o *sortOrder) encodeCursor(values []json.RawMessage) []string {
	out := make([]string, 0, len(values)+1)
	out = append(out, o.tag)
	for _, v := range values {
		out = append(out, string(v))
	}
	return out
}

// decodeCursor checks a cursor against the order and returns the search_after values.
func (o *sortOrder) decodeCursor(c []string) ([]json.RawMessage, error) {
	bad := apierr.InvalidArgument("page_token", "not a cursor of this search and sort order")
	if len(c) != len(o.kinds)+1 || c[0] != o.tag {
		return nil, bad
	}
	out := make([]json.RawMessage, len(o.kinds))
	for i, k := range o.kinds {
		raw := []byte(c[i+1])
		var ok bool
		switch k {
		case numberValue:
			var n json.Number
			ok = json.Unmarshal(raw, &n) == nil && n != "" && !bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`))
		case stringValue:
			var s string
			ok = json.Unmarshal(raw, &s) == nil
		}
		if !ok {
			return nil, bad
		}
		out[i] = json.RawMessage(raw)
	}
	return out, nil
}
