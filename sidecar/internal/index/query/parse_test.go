package query

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func i64(n int64) *int64 { return &n }

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Node
	}{
		{"", And{}},
		{"   ", And{}},
		{"churn", Text{Value: "churn"}},
		{"churn customers", And{Children: []Node{Text{Value: "churn"}, Text{Value: "customers"}}}},
		{`"customer churn"`, Text{Value: "customer churn", Phrase: true}},
		{`"say \"hi\" \\ there"`, Text{Value: `say "hi" \ there`, Phrase: true}},
		{"tag:finance", Term{Field: FieldTag, Value: "finance"}},
		{"TAG:Finance", Term{Field: FieldTag, Value: "Finance"}},
		{`tag:"two words"`, Term{Field: FieldTag, Value: "two words"}},
		{"tag:c:d", Term{Field: FieldTag, Value: "c:d"}},
		{"format:CSV", Term{Field: FieldFormat, Value: "csv"}},
		{"column:Age", Term{Field: FieldColumn, Value: "age"}},
		{"owner:alice", Term{Field: FieldOwner, Value: "alice"}},
		{"label:team=risk", Label{Key: "team", Value: "risk", HasValue: true}},
		{"label:team", Label{Key: "team"}},
		{"label:team=", Label{Key: "team", HasValue: true}},
		{"size:>10MB", NumRange{Field: FieldSize, Min: i64(10<<20 + 1)}},
		{"size:>=10mb", NumRange{Field: FieldSize, Min: i64(10 << 20)}},
		{"size:<1KB", NumRange{Field: FieldSize, Max: i64(1023)}},
		{"size:<=1.5KiB", NumRange{Field: FieldSize, Max: i64(1536)}},
		{"size:1KB..5GB", NumRange{Field: FieldSize, Min: i64(1024), Max: i64(5 << 30)}},
		{"size:1KB..", NumRange{Field: FieldSize, Min: i64(1024)}},
		{"size:..300", NumRange{Field: FieldSize, Max: i64(300)}},
		{"size:42", NumRange{Field: FieldSize, Min: i64(42), Max: i64(42)}},
		{"rows:>1000", NumRange{Field: FieldRows, Min: i64(1001)}},
		{"updated:>2026-01-01", TimeRange{Field: FieldUpdated, Start: utc("2026-01-02T00:00:00Z")}},
		{"updated:>=2026-01-01", TimeRange{Field: FieldUpdated, Start: utc("2026-01-01T00:00:00Z")}},
		{"updated:<2026-01", TimeRange{Field: FieldUpdated, End: utc("2026-01-01T00:00:00Z")}},
		{"updated:<=2026", TimeRange{Field: FieldUpdated, End: utc("2027-01-01T00:00:00Z")}},
		{"created:2025-01..2025-06", TimeRange{Field: FieldCreated, Start: utc("2025-01-01T00:00:00Z"), End: utc("2025-07-01T00:00:00Z")}},
		{"created:2025-03-04", TimeRange{Field: FieldCreated, Start: utc("2025-03-04T00:00:00Z"), End: utc("2025-03-05T00:00:00Z")}},
		{"created:>2026-01-01T10:00:00+02:00", TimeRange{Field: FieldCreated, Start: utc("2026-01-01T08:00:00Z").Add(time.Nanosecond)}},
		{"created:>=0001-01-01T00:00:00Z", TimeRange{Field: FieldCreated}},
		{"updated:<=9999", TimeRange{Field: FieldUpdated}},
		{"updated:<1000", TimeRange{Field: FieldUpdated, End: utc("1700-01-01T00:00:00Z")}},
		{"updated:>9000", TimeRange{Field: FieldUpdated, Start: utc("2200-01-01T00:00:00Z")}},
		{"-tag:draft", Not{Child: Term{Field: FieldTag, Value: "draft"}}},
		{`-"old data"`, Not{Child: Text{Value: "old data", Phrase: true}}},
		{"NOT tag:draft", Not{Child: Term{Field: FieldTag, Value: "draft"}}},
		{"not tag:draft", And{Children: []Node{Text{Value: "not"}, Term{Field: FieldTag, Value: "draft"}}}},
		{"a OR b c", And{Children: []Node{Or{Children: []Node{Text{Value: "a"}, Text{Value: "b"}}}, Text{Value: "c"}}}},
		{"a AND b", And{Children: []Node{Text{Value: "a"}, Text{Value: "b"}}}},
		{"(a OR b) -(c d)", And{Children: []Node{
			Or{Children: []Node{Text{Value: "a"}, Text{Value: "b"}}},
			Not{Child: And{Children: []Node{Text{Value: "c"}, Text{Value: "d"}}}},
		}}},
		{"seattle-weather", Text{Value: "seattle-weather"}},
		{"foo* bar?", And{Children: []Node{Text{Value: "foo*"}, Text{Value: "bar?"}}}},
		{"-", Text{Value: "-"}},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		require.NoError(t, err, "%q", c.in)
		assert.Equal(t, c.want, got, "%q", c.in)
	}
}

func TestParseErrors(t *testing.T) {
	long := make([]byte, MaxLength+1)
	for i := range long {
		long[i] = 'a'
	}
	many := ""
	for range MaxTerms + 1 {
		many += "x "
	}
	cases := []struct {
		in   string
		pos  int
		part string
	}{
		{`"unbalanced`, 1, "unbalanced quote"},
		{`churn "unbalanced`, 7, "unbalanced quote"},
		{`tag:"x`, 5, "unbalanced quote"},
		{`ab"cd"`, 3, "unexpected quote"},
		{`"a"b`, 4, "closing quote"},
		{`""`, 1, "empty phrase"},
		{"colour:red", 1, `unknown field "colour"`},
		{"x :red", 3, "field name is missing"},
		{"tag:", 5, "needs a value"},
		{"label:=x", 7, "needs a key"},
		{"size:>", 6, "needs a value"},
		{"size:>ten", 7, "not a valid size"},
		{"size:5GB..1KB", 6, "empty"},
		{"size:..", 6, "at least one bound"},
		{"size:1e3", 6, "not a valid size"},
		{"size:99999999999TB", 6, "not a valid size"},
		{"rows:-1", 6, "not a valid row count"},
		{"rows:1..x", 9, "not a valid row count"},
		{"updated:yesterday", 9, "not a date"},
		{"updated:2026-13", 9, "not a date"},
		{"created:2026..2025", 9, "empty"},
		{"(a b", 1, "unbalanced '('"},
		{"a b)", 4, "unbalanced ')'"},
		{"()", 1, "empty parentheses"},
		{"OR a", 1, "OR needs"},
		{"a OR", 3, "OR needs"},
		{"a OR OR b", 3, "OR needs"},
		{"NOT", 1, "nothing to negate"},
		{"a -(", 4, "unbalanced"},
		{string(long), MaxLength + 1, "at most"},
		{many, 2*MaxTerms + 1, "more than"},
		{"((((((((((a))))))))))", 9, "deeper"},
		{"\xff", 1, "UTF-8"},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		var pe *Error
		require.ErrorAs(t, err, &pe, "%q", c.in)
		assert.Equal(t, c.pos, pe.Pos, "%q: %v", c.in, err)
		assert.Contains(t, pe.Msg, c.part, "%q", c.in)
	}
}

func TestTexts(t *testing.T) {
	n, err := Parse(`churn "big data" -old (x OR tag:y) -(z)`)
	require.NoError(t, err)
	assert.Equal(t, []Text{{Value: "churn"}, {Value: "big data", Phrase: true}, {Value: "x"}}, Texts(n))
}
