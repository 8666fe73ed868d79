package elastic

import (
	"fmt"

	"github.com/kamld/kamld/sidecar/internal/index/query"
)

// dsl is one Query DSL object.
type dsl = map[string]any

// The only clause types translate emits. User text reaches Elasticsearch solely as the "query" of a
// multi_match (analysed into tokens, never parsed as syntax) or the "value" of a term (compared as is).
// translate_test.go checks every translated tree against this list.
var emittedClauses = []string{"bool", "multi_match", "term", "range", "match_all", "match_none"}

// translate turns a parsed query into Query DSL. nil and an empty And match every document.
func translate(n query.Node) (dsl, error) {
	switch v := n.(type) {
	case nil:
		return dsl{"match_all": dsl{}}, nil
	case query.And:
		return translateAnd(v)
	case query.Or:
		if len(v.Children) == 0 {
			return dsl{"match_none": dsl{}}, nil
		}
		should, err := translateAll(v.Children)
		if err != nil {
			return nil, err
		}
		return dsl{"bool": dsl{"should": should, "minimum_should_match": 1}}, nil
	case query.Not:
		child, err := translate(v.Child)
		if err != nil {
			return nil, err
		}
		return dsl{"bool": dsl{"must_not": []dsl{child}}}, nil
	case query.Text:
		return textClause(v), nil
	case query.Term:
		return termClause(v)
	case query.Label:
		if v.HasValue {
			return term(fLabel, labelPair(v.Key, v.Value)), nil
		}
		return term(fLabelKey, v.Key), nil
	case query.NumRange:
		return numRange(v)
	case query.TimeRange:
		return timeRange(v)
	}
	return nil, fmt.Errorf("query node %T has no Elasticsearch translation", n)
}

// translateAnd puts scoring clauses (free text, and groups that may hold it) in "must", exact conditions in
// "filter" (unscored, cacheable) and negations in "must_not".
func translateAnd(a query.And) (dsl, error) {
	if len(a.Children) == 0 {
		return dsl{"match_all": dsl{}}, nil
	}
	must, filter, mustNot := []dsl{}, []dsl{}, []dsl{}
	for _, c := range a.Children {
		if not, ok := c.(query.Not); ok {
			q, err := translate(not.Child)
			if err != nil {
				return nil, err
			}
			mustNot = append(mustNot, q)
			continue
		}
		q, err := translate(c)
		if err != nil {
			return nil, err
		}
		switch c.(type) {
		case query.Text, query.And, query.Or:
			must = append(must, q)
		default:
			filter = append(filter, q)
		}
	}
	b := dsl{}
	for k, v := range map[string][]dsl{"must": must, "filter": filter, "must_not": mustNot} {
		if len(v) > 0 {
			b[k] = v
		}
	}
	return dsl{"bool": b}, nil
}

func translateAll(nodes []query.Node) ([]dsl, error) {
	out := make([]dsl, 0, len(nodes))
	for _, c := range nodes {
		q, err := translate(c)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// textClause matches a word (all its tokens in one of the text fields: best_fields with operator "and") or a
// phrase (its tokens adjacent and in order in one field).
func textClause(t query.Text) dsl {
	fields := make([]string, len(textFields))
	for i, f := range textFields {
		fields[i] = f.es
	}
	mm := dsl{"query": t.Value, "fields": fields}
	if t.Phrase {
		mm["type"] = "phrase"
	} else {
		mm["type"] = "best_fields"
		mm["operator"] = "and"
	}
	return dsl{"multi_match": mm}
}

var termFields = map[query.Field]string{
	query.FieldTag:    fTag,
	query.FieldOwner:  fOwner,
	query.FieldFormat: fFormat,
	query.FieldColumn: fColumn,
}

func termClause(t query.Term) (dsl, error) {
	f, ok := termFields[t.Field]
	if !ok {
		return nil, fmt.Errorf("query field %q has no Elasticsearch translation", t.Field)
	}
	return term(f, t.Value), nil
}

func term(field, value string) dsl {
	return dsl{"term": dsl{field: dsl{"value": value}}}
}

var numFields = map[query.NumField]string{query.FieldSize: fBytes, query.FieldRows: fRows}

func numRange(r query.NumRange) (dsl, error) {
	f, ok := numFields[r.Field]
	if !ok {
		return nil, fmt.Errorf("query field %q has no Elasticsearch translation", r.Field)
	}
	bounds := dsl{}
	if r.Min != nil {
		bounds["gte"] = *r.Min
	}
	if r.Max != nil {
		bounds["lte"] = *r.Max
	}
	return rangeClause(f, bounds), nil
}

var timeFields = map[query.TimeField]string{query.FieldCreated: fCreated, query.FieldUpdated: fUpdated}

// timeRange compares Unix nanoseconds (see timeValue): Start <= t < End. A bound beyond what nanoseconds
// hold is left open, since every stored value is clamped inside it.
func timeRange(r query.TimeRange) (dsl, error) {
	f, ok := timeFields[r.Field]
	if !ok {
		return nil, fmt.Errorf("query field %q has no Elasticsearch translation", r.Field)
	}
	bounds := dsl{}
	if !r.Start.IsZero() && r.Start.After(minTime) {
		if r.Start.After(maxTime) {
			return dsl{"match_none": dsl{}}, nil
		}
		bounds["gte"] = timeValue(r.Start)
	}
	if !r.End.IsZero() && !r.End.After(maxTime) {
		if !r.End.After(minTime) {
			return dsl{"match_none": dsl{}}, nil
		}
		bounds["lt"] = timeValue(r.End)
	}
	return rangeClause(f, bounds), nil
}

// rangeClause is a range on field; with no bound at all it matches every document that has the field,
// which is every document.
func rangeClause(field string, bounds dsl) dsl {
	if len(bounds) == 0 {
		return dsl{"match_all": dsl{}}
	}
	return dsl{"range": dsl{field: bounds}}
}
