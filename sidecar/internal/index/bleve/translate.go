package bleve

import (
	"fmt"
	"time"

	bq "github.com/blevesearch/bleve/v2/search/query"

	"github.com/kamld/kamld/sidecar/internal/index/query"
)

// translate turns a parsed query into a bleve query. Every value goes into a typed query object (term,
// match, range); nothing is ever handed to bleve's own query-string syntax.
func translate(n query.Node) (bq.Query, error) {
	switch v := n.(type) {
	case nil:
		return bq.NewMatchAllQuery(), nil
	case query.And:
		return translateAnd(v.Children)
	case query.Or:
		qs, err := translateAll(v.Children)
		if err != nil {
			return nil, err
		}
		d := bq.NewDisjunctionQuery(qs)
		d.SetMin(1)
		return d, nil
	case query.Not:
		return translateAnd([]query.Node{v})
	case query.Text:
		return text(v), nil
	case query.Term:
		f, ok := termFields[v.Field]
		if !ok {
			return nil, fmt.Errorf("bleve: no field for %q", v.Field)
		}
		return term(f, v.Value), nil
	case query.Label:
		if v.HasValue {
			return term(fLabelKV, v.Key+"="+v.Value), nil
		}
		return term(fLabelKeys, v.Key), nil
	case query.NumRange:
		return numRange(v)
	case query.TimeRange:
		return timeRange(v)
	}
	return nil, fmt.Errorf("bleve: unknown query node %T", n)
}

var termFields = map[query.Field]string{
	query.FieldTag: fTags, query.FieldOwner: fOwner, query.FieldFormat: fFormats, query.FieldColumn: fColumns,
}

func translateAll(ns []query.Node) ([]bq.Query, error) {
	out := make([]bq.Query, 0, len(ns))
	for _, n := range ns {
		q, err := translate(n)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// translateAnd keeps negated children apart: bleve needs at least one positive clause, so a query of only
// negations subtracts them from every document.
func translateAnd(children []query.Node) (bq.Query, error) {
	var pos, neg []query.Node
	for _, c := range children {
		if n, ok := c.(query.Not); ok {
			neg = append(neg, n.Child)
		} else {
			pos = append(pos, c)
		}
	}
	must, err := translateAll(pos)
	if err != nil {
		return nil, err
	}
	if len(neg) == 0 {
		if len(must) == 0 {
			return bq.NewMatchAllQuery(), nil
		}
		if len(must) == 1 {
			return must[0], nil
		}
		return bq.NewConjunctionQuery(must), nil
	}
	not, err := translateAll(neg)
	if err != nil {
		return nil, err
	}
	if len(must) == 0 {
		must = []bq.Query{bq.NewMatchAllQuery()}
	}
	return bq.NewBooleanQuery(must, nil, not), nil
}

func term(field, value string) bq.Query {
	q := bq.NewTermQuery(value)
	q.SetField(field)
	return q
}

// text matches a word (all its tokens in one field) or a phrase in any free-text field.
func text(t query.Text) bq.Query {
	qs := make([]bq.Query, 0, len(textFields))
	for _, f := range textFields {
		if t.Phrase {
			q := bq.NewMatchPhraseQuery(t.Value)
			q.SetField(f.field)
			q.Analyzer = textAnalyzer
			qs = append(qs, q)
			continue
		}
		q := bq.NewMatchQuery(t.Value)
		q.SetField(f.field)
		q.Analyzer = textAnalyzer
		q.SetOperator(bq.MatchQueryOperatorAnd)
		qs = append(qs, q)
	}
	d := bq.NewDisjunctionQuery(qs)
	d.SetMin(1)
	return d
}

func numRange(r query.NumRange) (bq.Query, error) {
	field := map[query.NumField]string{query.FieldSize: fBytes, query.FieldRows: fRows}[r.Field]
	if field == "" {
		return nil, fmt.Errorf("bleve: no field for %q", r.Field)
	}
	var lo, hi *float64
	if r.Min != nil {
		f := float64(*r.Min)
		lo = &f
	}
	if r.Max != nil {
		f := float64(*r.Max)
		hi = &f
	}
	if lo == nil && hi == nil {
		return bq.NewMatchAllQuery(), nil
	}
	if lo != nil && hi != nil && *lo > *hi {
		return bq.NewMatchNoneQuery(), nil
	}
	incl := true
	q := bq.NewNumericRangeInclusiveQuery(lo, hi, &incl, &incl)
	q.SetField(field)
	return q, nil
}

func timeRange(r query.TimeRange) (bq.Query, error) {
	field := map[query.TimeField]string{query.FieldCreated: fCreated, query.FieldUpdated: fUpdated}[r.Field]
	if field == "" {
		return nil, fmt.Errorf("bleve: no field for %q", r.Field)
	}
	if r.Start.IsZero() && r.End.IsZero() {
		return bq.NewMatchAllQuery(), nil
	}
	if !r.Start.IsZero() && !r.End.IsZero() && !r.Start.Before(r.End) {
		return bq.NewMatchNoneQuery(), nil
	}
	incl, excl := true, false
	q := bq.NewDateRangeInclusiveQuery(utc(r.Start), utc(r.End), &incl, &excl)
	q.SetField(field)
	return q, nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
