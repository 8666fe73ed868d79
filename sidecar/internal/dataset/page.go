package dataset

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// Page requests one page of a listing (pagination in common.proto).
type Page struct {
	// Size is the most items to return: 0 means DefaultPageSize, more than MaxPageSize is capped, negative
	// is InvalidArgument.
	Size int32
	// Token is a previous result's NextToken; "" starts at the beginning.
	Token string
}

// Page sizes (common.proto).
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// pageCursor is a decoded page request: how many items, and the key to continue after.
type pageCursor struct {
	size  int
	after string
	bind  string
}

// open checks a page request made with the listing's other parameters (params): a token is opaque and valid
// only for the parameters it was issued with (AIP-158), so a token from another listing is InvalidArgument
// rather than a silently wrong page.
func (p Page) open(params ...string) (pageCursor, error) {
	c := pageCursor{size: int(p.Size), bind: bindHash(params)}
	switch {
	case p.Size < 0:
		return c, apierr.InvalidArgument("page_size", "%d is negative", p.Size)
	case p.Size == 0:
		c.size = DefaultPageSize
	case p.Size > MaxPageSize:
		c.size = MaxPageSize
	}
	if p.Token == "" {
		return c, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(p.Token)
	bind, after, ok := strings.Cut(string(raw), "\n")
	if err != nil || !ok || bind != c.bind {
		return c, apierr.InvalidArgument("page_token", "does not belong to this listing; start again without it")
	}
	c.after = after
	return c, nil
}

// next returns the token that continues after key.
func (c pageCursor) next(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.bind + "\n" + key))
}

func bindHash(params []string) string {
	h := sha256.New()
	for _, p := range params {
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
