// Package query parses kamld's search syntax (documented on SearchDatasetsRequest in search.proto) into one
// tree that every index backend translates. Parsing happens once, here; no backend ever sees the user's raw
// text, so no query can reach a backend's own query language unescaped.
package query

import "time"

// Node is one element of a parsed query: And, Or, Not, Text, Term, Label, NumRange or TimeRange.
type Node interface{ isNode() }

// And matches documents matching every child. An empty And matches every document.
type And struct{ Children []Node }

// Or matches documents matching at least one child.
type Or struct{ Children []Node }

// Not matches documents that do not match Child.
type Not struct{ Child Node }

// Text is free text: a word (every token of it must appear in one text field: name, description, tags or
// columns) or, with Phrase, a phrase (its tokens adjacent and in order in one of those fields).
type Text struct {
	Value  string
	Phrase bool
}

// Field names a keyword field a Term can test.
type Field string

// Keyword fields of Term.
const (
	FieldTag    Field = "tag"
	FieldOwner  Field = "owner"
	FieldFormat Field = "format"
	// FieldColumn values are lower-cased by the parser; backends index column names lower-cased too.
	FieldColumn Field = "column"
)

// Term matches documents whose keyword field holds exactly Value.
type Term struct {
	Field Field
	Value string
}

// Label matches documents with label Key; with HasValue, only where its value is exactly Value.
type Label struct {
	Key      string
	Value    string
	HasValue bool
}

// NumField names an integer field of NumRange.
type NumField string

// Integer fields.
const (
	FieldSize NumField = "size" // total bytes of the latest snapshot
	FieldRows NumField = "rows" // total rows of its tabular files
)

// NumRange matches Min <= field <= Max; a nil bound is open.
type NumRange struct {
	Field    NumField
	Min, Max *int64
}

// TimeField names a time field of TimeRange.
type TimeField string

// Time fields.
const (
	FieldCreated TimeField = "created"
	FieldUpdated TimeField = "updated"
)

// TimeRange matches Start <= field < End (UTC); a zero bound is open.
type TimeRange struct {
	Field      TimeField
	Start, End time.Time
}

func (And) isNode()       {}
func (Or) isNode()        {}
func (Not) isNode()       {}
func (Text) isNode()      {}
func (Term) isNode()      {}
func (Label) isNode()     {}
func (NumRange) isNode()  {}
func (TimeRange) isNode() {}

// Texts returns the positive free-text words and phrases of a tree (not under a Not): what highlighting marks.
func Texts(n Node) []Text {
	var out []Text
	var walk func(Node)
	walk = func(n Node) {
		switch v := n.(type) {
		case And:
			for _, c := range v.Children {
				walk(c)
			}
		case Or:
			for _, c := range v.Children {
				walk(c)
			}
		case Text:
			out = append(out, v)
		}
	}
	walk(n)
	return out
}
