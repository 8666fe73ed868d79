package blob

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// Key limits. MaxKeyBytes is S3's limit; MaxSegmentBytes is the longest file name common filesystems allow,
// so that every valid key can be stored by the fs store as a path.
const (
	MaxKeyBytes     = 1024
	MaxSegmentBytes = 255
)

// ValidateKey checks that key can name an object in every Store. A key is a '/'-separated path of
// segments: valid UTF-8, at most MaxKeyBytes bytes, no leading or trailing '/', no empty segment, no "." or
// ".." segment, no segment longer than MaxSegmentBytes, and no control characters (C0, DEL, C1) — NUL
// included. The rules are those of a relative path that cannot escape its root, so a key maps to a file
// path one to one. A bad key is an *apierr.Error with code InvalidArgument on field "key".
func ValidateKey(key string) error {
	if key == "" {
		return apierr.InvalidArgument("key", "must not be empty")
	}
	if err := checkChars("key", key); err != nil {
		return err
	}
	if strings.HasPrefix(key, "/") {
		return apierr.InvalidArgument("key", "%q must not start with '/'", key)
	}
	if strings.HasSuffix(key, "/") {
		return apierr.InvalidArgument("key", "%q must not end with '/'", key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if err := checkSegment("key", key, seg); err != nil {
			return err
		}
	}
	return nil
}

// ValidatePrefix checks a listing prefix: empty, or the beginning of a valid key (it may end with '/' or
// inside a segment). A bad prefix is an *apierr.Error with code InvalidArgument on field "prefix".
func ValidatePrefix(prefix string) error {
	return validatePartial("prefix", prefix)
}

// ValidateStartAfter checks a listing start key, which follows the rules of a prefix: keys compare byte by
// byte, so any beginning of a key is a meaningful place to start after.
func ValidateStartAfter(startAfter string) error {
	return validatePartial("start_after", startAfter)
}

func validatePartial(field, s string) error {
	if s == "" {
		return nil
	}
	if err := checkChars(field, s); err != nil {
		return err
	}
	if strings.HasPrefix(s, "/") {
		return apierr.InvalidArgument(field, "%q must not start with '/'", s)
	}
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		if i == len(segs)-1 && (seg == "" || seg == "." || seg == "..") {
			// The last segment may be unfinished ("data/", "data/.", "data/.." can begin "data/..x").
			continue
		}
		if err := checkSegment(field, s, seg); err != nil {
			return err
		}
	}
	return nil
}

func checkChars(field, s string) error {
	if len(s) > MaxKeyBytes {
		return apierr.InvalidArgument(field, "is %d bytes long; the limit is %d", len(s), MaxKeyBytes)
	}
	if !utf8.ValidString(s) {
		return apierr.InvalidArgument(field, "%q is not valid UTF-8", s)
	}
	for i, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return apierr.InvalidArgument(field, "%q contains the control character %U at byte %d", s, r, i)
		}
	}
	return nil
}

func checkSegment(field, s, seg string) error {
	switch {
	case seg == "":
		return apierr.InvalidArgument(field, "%q contains an empty path segment (\"//\")", s)
	case seg == "." || seg == "..":
		return apierr.InvalidArgument(field, "%q contains a %q path segment", s, seg)
	case len(seg) > MaxSegmentBytes:
		return apierr.InvalidArgument(field, "%q has a path segment of %d bytes; the limit is %d", s, len(seg), MaxSegmentBytes)
	}
	return nil
}

// Validate checks the options of a Put.
func (o PutOptions) Validate() error {
	if o.IfNoneMatch && o.IfMatch != "" {
		return apierr.InvalidArgument("if_match", "cannot be combined with if_none_match")
	}
	return nil
}

// Validate checks the options of a Get.
func (o GetOptions) Validate() error {
	if o.Offset < 0 {
		return apierr.InvalidArgument("offset", "%d is negative", o.Offset)
	}
	return nil
}

// Validate checks the options of a List and returns the effective limit.
func (o ListOptions) Validate() (limit int, err error) {
	if err := ValidatePrefix(o.Prefix); err != nil {
		return 0, err
	}
	if err := ValidateStartAfter(o.StartAfter); err != nil {
		return 0, err
	}
	switch {
	case o.Limit == 0:
		return MaxListLimit, nil
	case o.Limit < 0 || o.Limit > MaxListLimit:
		return 0, apierr.InvalidArgument("limit", "%d is outside 1..%d", o.Limit, MaxListLimit)
	}
	return o.Limit, nil
}

// String renders a range for messages.
func (o GetOptions) String() string {
	if o.Length > 0 {
		return fmt.Sprintf("bytes %d..%d", o.Offset, o.Offset+o.Length-1)
	}
	return fmt.Sprintf("bytes %d..end", o.Offset)
}
