package query

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that any input either parses into a tree within the limits or fails with an *Error whose
// position lies inside the input (or just after it), and never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "churn customers", `"customer churn"`, `tag:"a b" -tag:x`, "label:team=risk", "size:1KB..5GB",
		"updated:>2026-01-01", "created:2025-01..2025-06", "(a OR b) -(c d)", `"unbalanced`, "colour:red",
		"NOT NOT x", "a OR OR b", "size:>", `x\"y`, "((a))", "rows:1..x", "-", "-)", `tag:""`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("%q: error %v is not a *query.Error", s, err)
			}
			if limit := utf8.RuneCountInString(s) + 1; pe.Pos < 1 || (pe.Pos > limit && pe.Pos != MaxLength+1) {
				t.Fatalf("%q: position %d outside 1..%d", s, pe.Pos, limit)
			}
			return
		}
		if c := count(n); c > MaxTerms {
			t.Fatalf("%q: %d terms", s, c)
		}
	})
}

func count(n Node) int {
	switch v := n.(type) {
	case And:
		return sum(v.Children)
	case Or:
		return sum(v.Children)
	case Not:
		return count(v.Child)
	}
	return 1
}

func sum(ns []Node) int {
	t := 0
	for _, n := range ns {
		t += count(n)
	}
	return t
}
