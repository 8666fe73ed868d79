package trino

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// edit replaces the bytes [start, end) of a statement with text.
type edit struct {
	start, end int
	text       string
}

// rewritten is a statement after edits, able to map a position the engine reports back to the user's text.
type rewritten struct {
	sql      string
	original string
	edits    []edit // sorted, non-overlapping, in original offsets
}

// applyEdits applies non-overlapping edits to sql.
func applyEdits(sql string, edits []edit) rewritten {
	edits = append([]edit(nil), edits...)
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b strings.Builder
	last := 0
	for _, e := range edits {
		b.WriteString(sql[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.WriteString(sql[last:])
	return rewritten{sql: b.String(), original: sql, edits: edits}
}

// position maps a 1-based line and column (in characters) of the rewritten text to the user's text. A
// position inside a replacement maps to the start of what it replaced.
func (r rewritten) position(line, col int) (int, int) {
	off := offsetOf(r.sql, line, col)
	orig, delta := off, 0
	for _, e := range r.edits {
		newStart := e.start + delta
		newEnd := newStart + len(e.text)
		if off < newStart {
			break
		}
		if off < newEnd {
			orig = e.start
			return lineCol(r.original, orig)
		}
		delta += len(e.text) - (e.end - e.start)
		orig = off - delta
	}
	return lineCol(r.original, orig)
}

// offsetOf is the byte offset of a 1-based line and character column; past the end clamps to the end.
func offsetOf(s string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(s[off:], '\n')
		if i < 0 {
			return len(s)
		}
		off += i + 1
	}
	for c := 1; c < col && off < len(s) && s[off] != '\n'; c++ {
		_, size := utf8.DecodeRuneInString(s[off:])
		off += size
	}
	return off
}

// lineCol is the 1-based line and character column of a byte offset.
func lineCol(s string, off int) (int, int) {
	off = min(max(off, 0), len(s))
	before := s[:off]
	line := strings.Count(before, "\n") + 1
	start := strings.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCountInString(before[start:]) + 1
}
