package auth

import (
	"context"
	"fmt"
	"unicode"
	"unicode/utf8"
)

type identityKey struct{}

// WithIdentity returns a context carrying the acting identity.
func WithIdentity(ctx context.Context, who string) context.Context {
	return context.WithValue(ctx, identityKey{}, who)
}

// Identity returns the acting identity of the call, or "" outside an authenticated call.
func Identity(ctx context.Context) string {
	who, _ := ctx.Value(identityKey{}).(string)
	return who
}

// ValidIdentity checks a caller-supplied identity (after percent-decoding): 1-256 printable characters without spaces at the ends.
// JupyterHub user names can be e-mail addresses or contain Unicode, so this does not restrict further.
func ValidIdentity(who string) error {
	if who == "" || len(who) > 256 {
		return fmt.Errorf("must be 1-256 bytes")
	}
	if !utf8.ValidString(who) {
		return fmt.Errorf("is not valid UTF-8")
	}
	for _, r := range who {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("contains a non-printable character %U", r)
		}
	}
	if unicode.IsSpace(rune(who[0])) || unicode.IsSpace(rune(who[len(who)-1])) {
		return fmt.Errorf("has leading or trailing space")
	}
	return nil
}
