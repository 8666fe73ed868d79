package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// parseRange reads a single "bytes=a-b", "bytes=a-" or "bytes=-n" range (RFC 9110 §14.1.2). Multiple ranges
// are answered with the whole file, which RFC 9110 allows. A last position beyond the file, however large
// (even beyond int64), is clamped to the file's last byte. ok is false for a range that selects no byte of the
// file.
func parseRange(h string, size int64) (offset, length int64, partial, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, size, false, true
	}
	first, last, found := strings.Cut(spec, "-")
	if !found || !digits(last) || (first != "" && !digits(first)) {
		return 0, size, false, true // not a byte range: RFC 9110 says ignore it
	}
	if first == "" { // suffix: the last n bytes
		if last == "" {
			return 0, size, false, true
		}
		n := clampedInt(last, size)
		if n == 0 || size == 0 {
			return 0, 0, false, false
		}
		return size - n, n, true, true
	}
	a := clampedInt(first, size)
	if a >= size {
		return 0, 0, false, false
	}
	b := size - 1
	if last != "" {
		if b = clampedInt(last, size-1); b < a {
			return 0, size, false, true // an invalid range (last < first) is ignored, RFC 9110 §14.1.1
		}
	}
	return a, b - a + 1, true, true
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// clampedInt is the decimal s (digits only), or limit when it is larger, however many digits it has.
func clampedInt(s string, limit int64) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > limit { // only a too-large number fails: s is digits
		return limit
	}
	return n
}

// ifRangeHolds reports whether a Range may be honoured under an If-Range precondition (RFC 9110 §13.1.5):
// always without one; with an entity tag, only if it matches the current ETag by strong comparison (a weak tag
// never does); with an HTTP-date, only if it is exactly the file's modification time and that time is a strong
// validator — at least one second before now, so that two versions cannot share it.
func ifRangeHolds(ifRange, etag string, modified time.Time, hasModified bool, now time.Time) bool {
	ifRange = strings.TrimSpace(ifRange)
	switch {
	case ifRange == "":
		return true
	case strings.HasPrefix(ifRange, `"`) || strings.HasPrefix(ifRange, "W/"):
		return !strings.HasPrefix(ifRange, "W/") && !strings.HasPrefix(etag, "W/") && ifRange == etag
	}
	date, err := http.ParseTime(ifRange)
	if err != nil || !hasModified {
		return false
	}
	mod := modified.UTC().Truncate(time.Second)
	return date.Equal(mod) && now.Sub(modified) >= time.Second
}

// etagMatches is If-None-Match's weak comparison (RFC 9110 §13.1.2).
func etagMatches(ifNoneMatch, etag string) bool {
	for c := range strings.SplitSeq(ifNoneMatch, ",") {
		c = strings.TrimPrefix(strings.TrimSpace(c), "W/")
		if c == "*" || (c != "" && c == strings.TrimPrefix(etag, "W/")) {
			return true
		}
	}
	return false
}
