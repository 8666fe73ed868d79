package auth

import (
	"context"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Kind says what sort of caller a principal is.
type Kind int

const (
	// KindUser is a person: the token holder in single-user mode, a Hub or OIDC user in shared mode.
	KindUser Kind = iota
	// KindService is another service (a static service token or an OIDC client-credentials token).
	KindService
	// KindJob is a running job's own scoped token: it reads the job's inputs and writes its outputs only.
	KindJob
)

// Principal is who a call acts for, as the call's authentication established it. Every service decides
// access from this value alone (see docs/security.md); nothing else in a request names the caller.
type Principal struct {
	// Name is the user or service name (a job token carries its submitter's name).
	Name string
	// Groups are the caller's groups as the identity provider stated them (Hub groups, an OIDC claim).
	Groups []string
	Kind   Kind
	// Admin is a platform admin: reads and changes everything. In single-user mode the token holder is
	// trusted with everything, so its principal is Admin too.
	Admin bool
	// Verified is true when Name came from a verified credential (shared mode), false when the token holder
	// named itself (single-user mode's x-kamld-user).
	Verified bool
	// Job is set only for KindJob: the scope the job token grants.
	Job *JobScope
}

// JobScope is what a job token may touch: read its input datasets, write its output datasets.
type JobScope struct {
	JobID  string
	Reads  []string // dataset ids
	Writes []string // dataset ids
}

// InGroup reports whether the principal is a member of group.
func (p Principal) InGroup(group string) bool { return slices.Contains(p.Groups, group) }

type principalKey struct{}

// WithPrincipal returns a context carrying the call's principal.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the call's principal; ok is false outside an authenticated call.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// WithIdentity returns a context acting for who as a single-user-mode principal: the token holder named who
// and is trusted with everything.
func WithIdentity(ctx context.Context, who string) context.Context {
	return WithPrincipal(ctx, Principal{Name: who, Kind: KindUser, Admin: true})
}

// Identity returns the acting identity of the call, or "" outside an authenticated call.
func Identity(ctx context.Context) string {
	p, _ := PrincipalFrom(ctx)
	return p.Name
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
