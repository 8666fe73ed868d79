package trino

import (
	"strings"
	"unicode/utf8"
)

// offsetOf is the byte offset of a 1-based line and character column, as Trino reports error locations;
// past the end clamps to the end.
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
