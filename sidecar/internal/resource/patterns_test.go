package resource

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Go's regexp has no lookahead; refusedByLookahead applies the patterns' lookaheads, the rest is RE2.
func refusedByLookahead(s string) bool {
	if s == DraftRef+branchDraftSuffix {
		return true
	}
	s = strings.TrimSuffix(s, branchDraftSuffix)
	return s == DraftRef || regexp.MustCompile(`^v[0-9]+$`).MatchString(s) || regexp.MustCompile(`^[0-9a-f]{6,}$`).MatchString(s)
}

func withoutLookaheads(p string) *regexp.Regexp {
	for _, la := range []string{`(?!draft$)`, `(?!v[0-9]+$)`, `(?![0-9a-f]{6,}$)`, `(?!draft~draft$)`, `(?!v[0-9]+(~draft)?$)`, `(?![0-9a-f]{6,}(~draft)?$)`} {
		p = strings.ReplaceAll(p, la, "")
	}
	return regexp.MustCompile(p)
}

var patternCorpus = []string{
	"", "a", "iris", "iris-2", "iris-", "-iris", "Iris", "0iris", "iris_2", "iris.v2", "a" + strings.Repeat("b", 62),
	"a" + strings.Repeat("b", 63), "draft", "v1", "v0", "v007", "v12x", "abcdef", "abcde", "abcdefg1", "deadbeef",
	"release-1.0", "1.0", "_x", ".x", "x/y", "x y", "é", strings.Repeat("a", 64), strings.Repeat("f", 65),
	"v9223372036854775807", "v123456789012345678",
	"exp~draft", "job.x1~draft", "v1~draft", "abcdef~draft", "draft~draft", "~draft", "exp~", "exp~draftx", "exp~v1",
}

func TestDatasetIDPattern(t *testing.T) {
	re := regexp.MustCompile(DatasetIDPattern)
	for _, s := range patternCorpus {
		assert.Equal(t, ValidateDatasetID(s) == nil, re.MatchString(s), "%q", s)
	}
}

func TestTagIDPattern(t *testing.T) {
	re := withoutLookaheads(TagIDPattern)
	for _, s := range patternCorpus {
		assert.Equal(t, ValidateTagID(s) == nil, re.MatchString(s) && !refusedByLookahead(s), "%q", s)
	}
}

// refMatches evaluates a ref pattern's alternatives: the last is the tag (with lookaheads), the others RE2.
func refMatches(pattern, s string) bool {
	alts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(pattern, "^("), ")$"), "|")
	last := len(alts) - 1
	tag := withoutLookaheads("^" + alts[last] + "$")
	return regexp.MustCompile("^("+strings.Join(alts[:last], "|")+")$").MatchString(s) || (tag.MatchString(s) && !refusedByLookahead(s))
}

func TestRefPatterns(t *testing.T) {
	for _, s := range patternCorpus {
		_, err := ParseRef(s)
		if s == "v9223372036854775807" { // the one sequence the patterns leave out (19 digits)
			assert.NoError(t, err)
			assert.False(t, refMatches(RefPattern, s))
			continue
		}
		assert.Equal(t, err == nil, refMatches(RefPattern, s), "ref %q", s)
		r, _ := ParseRef(s)
		assert.Equal(t, err == nil && r.Kind != RefLatest && r.Kind != RefDraft, refMatches(SnapshotRefPattern, s), "snapshot %q", s)
	}
}
