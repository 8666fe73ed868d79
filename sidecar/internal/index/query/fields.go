package query

import (
	"math"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxValueLength bounds one field value, in characters.
const MaxValueLength = 256

type fieldParser func(value string, pos int) (Node, error)

var fields = map[string]fieldParser{
	"tag":     keyword(FieldTag, false),
	"owner":   keyword(FieldOwner, false),
	"format":  keyword(FieldFormat, true),
	"column":  keyword(FieldColumn, true),
	"label":   label,
	"size":    numRange(FieldSize, parseSize),
	"rows":    numRange(FieldRows, parseCount),
	"created": timeRange(FieldCreated),
	"updated": timeRange(FieldUpdated),
}

const fieldList = "tag, label, format, owner, column, size, rows, created, updated"

func keyword(f Field, lower bool) fieldParser {
	return func(v string, pos int) (Node, error) {
		if utf8.RuneCountInString(v) > MaxValueLength {
			return nil, errAt(pos, "%s: value longer than %d characters", f, MaxValueLength)
		}
		if lower {
			v = strings.ToLower(v)
		}
		return Term{Field: f, Value: v}, nil
	}
}

func label(v string, pos int) (Node, error) {
	if utf8.RuneCountInString(v) > MaxValueLength {
		return nil, errAt(pos, "label: value longer than %d characters", MaxValueLength)
	}
	key, value, has := strings.Cut(v, "=")
	if key == "" {
		return nil, errAt(pos, "label: needs a key, as in label:team or label:team=risk")
	}
	return Label{Key: key, Value: value, HasValue: has}, nil
}

// ---- ranges ------------------------------------------------------------------------------------------------

// bound is one side of a range as written: its text and position.
type bound struct {
	text string
	pos  int
}

// rangeParts splits ">x", ">=x", "<x", "<=x", "a..b", "a..", "..b" or "x" into an operator and bounds.
func rangeParts(v string, pos int) (op string, lo, hi bound, err error) {
	for _, o := range []string{">=", "<=", ">", "<"} {
		if rest, ok := strings.CutPrefix(v, o); ok {
			if rest == "" {
				return "", lo, hi, errAt(pos, "%q needs a value after it", o)
			}
			return o, bound{rest, pos + len(o)}, bound{}, nil
		}
	}
	if a, b, ok := strings.Cut(v, ".."); ok {
		if a == "" && b == "" {
			return "", lo, hi, errAt(pos, "a range needs at least one bound")
		}
		return "..", bound{a, pos}, bound{b, pos + utf8.RuneCountInString(a) + 2}, nil
	}
	return "=", bound{v, pos}, bound{}, nil
}

func numRange(f NumField, parse func(string) (int64, bool)) fieldParser {
	return func(v string, pos int) (Node, error) {
		op, lo, hi, err := rangeParts(v, pos)
		if err != nil {
			return nil, err
		}
		num := func(b bound) (*int64, error) {
			if b.text == "" {
				return nil, nil
			}
			n, ok := parse(b.text)
			if !ok {
				return nil, errAt(b.pos, "%s: %q is not a valid %s", f, b.text, numHint[f])
			}
			return &n, nil
		}
		a, err := num(lo)
		if err != nil {
			return nil, err
		}
		b, err := num(hi)
		if err != nil {
			return nil, err
		}
		r := NumRange{Field: f}
		switch op {
		case ">":
			if *a == math.MaxInt64 {
				return NumRange{Field: f, Min: a, Max: ptr(int64(-1))}, nil // matches nothing, honestly
			}
			r.Min = ptr(*a + 1)
		case ">=":
			r.Min = a
		case "<":
			r.Max = ptr(*a - 1)
		case "<=":
			r.Max = a
		case "=":
			r.Min, r.Max = a, a
		case "..":
			if a != nil && b != nil && *a > *b {
				return nil, errAt(pos, "%s: the range %s is empty (its lower bound is above its upper bound)", f, v)
			}
			r.Min, r.Max = a, b
		}
		return r, nil
	}
}

var numHint = map[NumField]string{
	FieldSize: "size (a number with an optional unit B, KB, MB, GB, TB, e.g. 10MB or 1.5GB)",
	FieldRows: "row count (a whole number)",
}

func ptr[T any](v T) *T { return &v }

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"tib", 1 << 40}, {"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10},
	{"tb", 1 << 40}, {"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10},
	{"t", 1 << 40}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}, {"b", 1},
}

// parseSize reads "10MB", "1.5gb", "300" (bytes); units are powers of 1024.
func parseSize(s string) (int64, bool) {
	l := strings.ToLower(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(l, u.suffix); ok {
			l, mult = rest, u.mult
			break
		}
	}
	if l == "" || len(l) > 32 || strings.ContainsAny(l, "+-eE_") {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(l)
	if !ok {
		return 0, false
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	n := new(big.Int).Quo(r.Num(), r.Denom()) // whole bytes, rounded down
	if !n.IsInt64() {
		return 0, false
	}
	return n.Int64(), true
}

func parseCount(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// ---- times -------------------------------------------------------------------------------------------------

// span is the interval a written time covers: a year, a month, a day or an instant.
type span struct{ start, end time.Time }

func parseSpan(s string) (span, bool) {
	for _, l := range []struct {
		layout string
		next   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
	} {
		if len(s) == len(l.layout) {
			if t, err := time.Parse(l.layout, s); err == nil {
				return span{t, l.next(t)}, true
			}
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 1 || t.Year() > 9999 {
		return span{}, false
	}
	t = t.UTC()
	return span{t, t.Add(time.Nanosecond)}, true
}

func timeRange(f TimeField) fieldParser {
	return func(v string, pos int) (Node, error) {
		op, lo, hi, err := rangeParts(v, pos)
		if err != nil {
			return nil, err
		}
		get := func(b bound) (span, error) {
			if b.text == "" {
				return span{}, nil
			}
			sp, ok := parseSpan(b.text)
			if !ok {
				return span{}, errAt(b.pos, "%s: %q is not a date (YYYY, YYYY-MM, YYYY-MM-DD) or an RFC 3339 time", f, b.text)
			}
			return sp, nil
		}
		a, err := get(lo)
		if err != nil {
			return nil, err
		}
		b, err := get(hi)
		if err != nil {
			return nil, err
		}
		r := TimeRange{Field: f}
		switch op {
		case ">":
			r.Start = a.end
		case ">=":
			r.Start = a.start
		case "<":
			r.End = a.start
		case "<=":
			r.End = a.end
		case "=":
			r.Start, r.End = a.start, a.end
		case "..":
			r.Start, r.End = a.start, b.end
			if lo.text != "" && hi.text != "" && !r.Start.Before(r.End) {
				return nil, errAt(pos, "%s: the range %s is empty (it ends before it starts)", f, v)
			}
		}
		return clamp(r), nil
	}
}

// Bounds outside timeFloor..timeCeiling are clamped to them: no dataset has times outside, and every backend
// can then represent the range (bleve keeps times as int64 nanoseconds, 1678..2262).
var (
	timeFloor   = time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)
	timeCeiling = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func clamp(r TimeRange) TimeRange {
	switch {
	case r.Start.IsZero():
	case r.Start.Before(timeFloor):
		r.Start = time.Time{} // open: every dataset is later
	case r.Start.After(timeCeiling):
		r.Start = timeCeiling // nothing matches, as written
	}
	switch {
	case r.End.IsZero():
	case r.End.After(timeCeiling):
		r.End = time.Time{}
	case r.End.Before(timeFloor):
		r.End = timeFloor
	}
	return r
}
