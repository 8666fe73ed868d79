package elastic

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/query"
)

// checkClause fails unless q is built only from the clause types translate may emit, each with only the
// keys listed here. In particular nothing is a query_string or simple_query_string (whose syntax would let a
// user's text act as operators), nor a regexp, wildcard, prefix or fuzzy query; and user text sits only in
// a multi_match "query" (analysed into plain tokens) or a term "value" (compared byte for byte).
func checkClause(q any) error {
	m, ok := q.(map[string]any)
	if !ok || len(m) != 1 {
		return fmt.Errorf("a clause must be an object with one key: %v", q)
	}
	for typ, body := range m {
		if !slices.Contains(emittedClauses, typ) {
			return fmt.Errorf("clause type %q is not allowed", typ)
		}
		b, ok := body.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: body is %T", typ, body)
		}
		switch typ {
		case "bool":
			return checkBool(b)
		case "multi_match":
			return checkMultiMatch(b)
		case "term":
			return checkFieldClause(b, "value")
		case "range":
			return checkFieldClause(b, "gte", "lte", "lt")
		default: // match_all, match_none
			if len(b) != 0 {
				return fmt.Errorf("%s takes no options: %v", typ, b)
			}
		}
	}
	return nil
}

func checkBool(b map[string]any) error {
	for k, v := range b {
		if k == "minimum_should_match" {
			continue
		}
		if !slices.Contains([]string{"must", "filter", "should", "must_not"}, k) {
			return fmt.Errorf("bool key %q is not allowed", k)
		}
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("bool %s is %T", k, v)
		}
		for _, c := range list {
			if err := checkClause(c); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkMultiMatch(b map[string]any) error {
	for k := range b {
		if !slices.Contains([]string{"query", "fields", "type", "operator"}, k) {
			return fmt.Errorf("multi_match key %q is not allowed", k)
		}
	}
	if typ := b["type"]; typ != "best_fields" && typ != "phrase" {
		return fmt.Errorf("multi_match type %v is not allowed", typ)
	}
	if _, ok := b["query"].(string); !ok {
		return fmt.Errorf("multi_match query is %T", b["query"])
	}
	return nil
}

func checkFieldClause(b map[string]any, keys ...string) error {
	if len(b) != 1 {
		return fmt.Errorf("one field per clause: %v", b)
	}
	for field, opts := range b {
		if !strings.HasSuffix(field, "_ns") && !slices.Contains([]string{fTag, fOwner, fFormat, fColumn, fLabel, fLabelKey, fBytes, fRows}, field) {
			return fmt.Errorf("field %q is not a keyword or number field", field)
		}
		o, ok := opts.(map[string]any)
		if !ok || len(o) == 0 {
			return fmt.Errorf("field %q options: %v", field, opts)
		}
		for k := range o {
			if !slices.Contains(keys, k) {
				return fmt.Errorf("field %q option %q is not allowed", field, k)
			}
		}
	}
	return nil
}

// roundTrip translates s and decodes the JSON the cluster would receive.
func roundTrip(t testing.TB, s string) (any, bool) {
	n, err := query.Parse(s)
	if err != nil {
		return nil, false
	}
	q, err := translate(n)
	if err != nil {
		t.Fatalf("%q parses but does not translate: %v", s, err)
	}
	raw, err := json.Marshal(q)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	var decoded any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return decoded, true
}

// luceneSyntax is input meant to reach a Lucene query parser: operators, wildcards, regular expressions,
// fuzziness, boosts, field prefixes, escapes and the JSON-breaking characters.
var luceneSyntax = []string{
	`title:foo*`, `*`, `?`, `a*b`, `/.*/`, `/[a-z]+/`, `foo~2`, `"a b"~5`, `foo^10`, `_exists_:owner`,
	`owner:* OR 1=1`, `a && b || !c`, `+must -mustnot`, `{* TO *}`, `[a TO z]`, `\\`, `\"`, `"`, `'`,
	`}{"query_string":{"query":"*"}}`, `tag:"x\" OR \"y"`, `label:a=b=c`, `column:/x/`, `format:*`, `(a OR b) -c`,
	`size:>1GB rows:<10 created:2026`, `"\u0000"`, `<script>`, `%00`, `${jndi:ldap://x}`,
}

func TestTranslateEmitsOnlyAllowedClauses(t *testing.T) {
	for _, s := range luceneSyntax {
		q, ok := roundTrip(t, s)
		if !ok {
			continue // refused by the parser: nothing reaches Elasticsearch
		}
		assert.NoError(t, checkClause(q), "query %q became %v", s, q)
		raw, _ := json.Marshal(q)
		assert.NotContains(t, string(raw), "query_string", "query %q", s)
	}
}

// FuzzTranslate: whatever the user types, the translated query has only allowed clauses.
func FuzzTranslate(f *testing.F) {
	for _, s := range luceneSyntax {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, ok := roundTrip(t, s)
		if !ok {
			return
		}
		if err := checkClause(q); err != nil {
			t.Fatalf("query %q: %v", s, err)
		}
	})
}

func TestTranslateShapes(t *testing.T) {
	mm := `"fields":["id.text","description","tag.text","column.text"]`
	cases := map[string]string{
		``:                  `{"match_all":{}}`,
		`churn`:             `{"multi_match":{` + mm + `,"operator":"and","query":"churn","type":"best_fields"}}`,
		`"a b"`:             `{"multi_match":{` + mm + `,"query":"a b","type":"phrase"}}`,
		`a OR b`:            `{"bool":{"minimum_should_match":1,"should":[{"multi_match":{` + mm + `,"operator":"and","query":"a","type":"best_fields"}},{"multi_match":{` + mm + `,"operator":"and","query":"b","type":"best_fields"}}]}}`,
		`a tag:x -owner:y`:  `{"bool":{"must":[{"multi_match":{` + mm + `,"operator":"and","query":"a","type":"best_fields"}}],"filter":[{"term":{"tag":{"value":"x"}}}],"must_not":[{"term":{"owner":{"value":"y"}}}]}}`,
		`label:team`:        `{"term":{"label_key":{"value":"team"}}}`,
		`label:team=risk`:   `{"term":{"label":{"value":"team=risk"}}}`,
		`size:1KB..2KB`:     `{"range":{"bytes":{"gte":1024,"lte":2048}}}`,
		`rows:>10`:          `{"range":{"rows":{"gte":11}}}`,
		`created:>=2026-01`: `{"range":{"created_ns":{"gte":1767225600000000000}}}`,
		`updated:<2026-01`:  `{"range":{"updated_ns":{"lt":1767225600000000000}}}`,
	}
	for s, want := range cases {
		n, err := query.Parse(s)
		require.NoError(t, err, s)
		q, err := translate(n)
		require.NoError(t, err, s)
		got, err := json.Marshal(q)
		require.NoError(t, err)
		assert.JSONEq(t, want, string(got), "query %q", s)
	}
}

func TestPrefixPattern(t *testing.T) {
	assert.Equal(t, `[cC]\:.*`, prefixPattern("c:"))
	assert.Equal(t, `\.\*\(\[\\.*`, prefixPattern(`.*([\`))
	assert.Equal(t, `[éÉ]\1.*`, prefixPattern("é1"))
}

func TestMarkup(t *testing.T) {
	assert.Equal(t, `a &lt;b&gt; &amp; <mark>c</mark> "d"`, markup("a <b> & \x01c\x02 \"d\""))
}

func TestDecodeCursorRefusesForeignCursors(t *testing.T) {
	o, err := sortOf(indexSort("size", true))
	require.NoError(t, err)
	good := o.encodeCursor([]json.RawMessage{json.RawMessage(`9223372036854775807`), json.RawMessage(`"iris"`)})
	after, err := o.decodeCursor(good)
	require.NoError(t, err)
	assert.Equal(t, "9223372036854775807", string(after[0]), "64-bit values keep every digit")
	for _, bad := range [][]string{
		{"size asc", "1", `"iris"`}, // another direction
		{"size desc", `"1"`, `"iris"`},
		{"size desc", "null", `"iris"`},
		{"size desc", "1", "iris"},
		{"size desc", "1"},
		{"size desc", "1", `"iris"`, "x"},
	} {
		_, err := o.decodeCursor(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func indexSort(by string, desc bool) index.Sort { return index.Sort{By: index.SortBy(by), Desc: desc} }
