package tabular

import (
	"regexp"
	"strings"
)

var (
	localPathRE = regexp.MustCompile(`(/[^\s"':]+)+`)
	errPrefixRE = regexp.MustCompile(`^(?:[A-Za-z ]+ Error: )+`)
)

// CleanError makes a DuckDB error message fit for users: no local file paths (they name the sidecar's blob
// store or cache, never the dataset's paths), no "Xxx Error:" prefixes, and only the first paragraph (DuckDB
// appends hints such as "LINE 1: …" that the caller reports as position instead).
func CleanError(msg string) string {
	msg = strings.TrimSpace(msg)
	msg = errPrefixRE.ReplaceAllString(msg, "")
	if i := strings.Index(msg, "\n\n"); i >= 0 {
		msg = msg[:i]
	}
	msg = localPathRE.ReplaceAllString(msg, "<file>")
	return strings.TrimSpace(msg)
}
