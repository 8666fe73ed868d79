package resource

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Path limits (common.proto).
const (
	MaxPathBytes    = 1024
	MaxSegmentBytes = 255
)

// ValidatePath checks a file path inside a dataset. Paths are compared byte for byte, so the rules make one
// spelling the only spelling: relative, '/'-separated, no empty, "." or ".." segments, NFC-normalized, and free
// of characters that make two different paths look the same or hide what they are (control characters,
// backslashes, bidirectional overrides, zero-width and other invisible format characters).
func ValidatePath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("must not be empty")
	case len(p) > MaxPathBytes:
		return fmt.Errorf("is %d bytes; at most %d", len(p), MaxPathBytes)
	case !utf8.ValidString(p):
		return fmt.Errorf("is not valid UTF-8")
	case p[0] == '/':
		return fmt.Errorf("%q is absolute; paths are relative to the dataset root", p)
	}
	if i := strings.IndexFunc(p, forbiddenInPath); i >= 0 {
		r, _ := utf8.DecodeRuneInString(p[i:])
		return fmt.Errorf("has the character %U at byte %d, which is not allowed in paths", r, i)
	}
	if !norm.NFC.IsNormalString(p) {
		return fmt.Errorf("%q is not in Unicode normalization form C (write it as %q)", p, norm.NFC.String(p))
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch {
		case seg == "":
			return fmt.Errorf("%q has an empty segment (a leading, trailing or doubled '/')", p)
		case seg == "." || seg == "..":
			return fmt.Errorf("%q has a %q segment", p, seg)
		case len(seg) > MaxSegmentBytes:
			return fmt.Errorf("has a segment of %d bytes; at most %d", len(seg), MaxSegmentBytes)
		}
	}
	return nil
}

// ValidatePrefix checks a listing prefix: empty, or a valid path optionally ending in '/'.
func ValidatePrefix(p string) error {
	if p == "" {
		return nil
	}
	return ValidatePath(strings.TrimSuffix(p, "/"))
}

// forbiddenInPath reports characters no path may hold.
func forbiddenInPath(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0: // C0, DEL, C1 controls
		return true
	case r == '\\': // a second separator on Windows clients
		return true
	case r == utf8.RuneError:
		return true
	case unicode.Is(unicode.Cf, r): // format: bidi overrides, zero-width joiners, BOM, soft hyphen…
		return true
	case unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r): // line/paragraph separators
		return true
	case r >= 0xfff9 && r <= 0xfffc, unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r), r >= 0xfdd0 && r <= 0xfdef, r&0xfffe == 0xfffe:
		return true // interlinear annotations, private use, surrogates, noncharacters
	}
	return false
}
