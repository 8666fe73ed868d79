package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Verifier turns a bearer credential into the principal it proves (shared mode, docs/security.md).
//
// Contract:
//   - On success it returns a Principal with Name set (Kind and Groups as the credential states them); the
//     Chain sets Verified and Admin, so a Verifier need not.
//   - A bearer this verifier cannot judge at all (a JWT given to the service-token verifier) is an error
//     matching ErrNotMine, so a Chain asks the next one.
//   - A credential it judges and refuses is a *CredentialError saying why (expired, untrusted, unknown, ...).
//   - When ctx is CacheOnly and the answer needs a remote round trip (a Hub token not cached, a JWT signed by
//     a key not fetched yet), it returns ErrWouldBlock at once instead of asking.
//   - It is safe for concurrent use, honours ctx's deadline, and never logs or returns the bearer itself.
type Verifier interface {
	Verify(ctx context.Context, bearer string) (Principal, error)
}

// Failure classifies why a credential was refused; the interceptor maps it to a gRPC code and reason.
type Failure int

const (
	// FailInvalid: not a credential anyone issued, or one revoked since (unknown token, deleted Hub user).
	FailInvalid Failure = iota
	// FailExpired: past its expiry or not valid yet (beyond the clock skew).
	FailExpired
	// FailUntrusted: well-formed but not for us: wrong issuer or audience, unknown key, refused algorithm,
	// bad signature.
	FailUntrusted
	// FailScope: a valid credential that lacks the scope kamld requires (the caller is known, not allowed).
	FailScope
	// FailUnavailable: the identity provider could not be asked.
	FailUnavailable
)

// CredentialError is a refused credential. Msg is safe to send to the caller: it never holds the credential.
type CredentialError struct {
	Failure Failure
	Msg     string
}

func (e *CredentialError) Error() string { return e.Msg }

// Refuse returns a *CredentialError.
func Refuse(f Failure, format string, args ...any) error {
	return &CredentialError{Failure: f, Msg: fmt.Sprintf(format, args...)}
}

var (
	// ErrNotMine is returned by a Verifier for a bearer of a kind it does not handle.
	ErrNotMine = errors.New("not a credential of this verifier")
	// ErrWouldBlock is returned under CacheOnly when verifying would need a remote round trip.
	ErrWouldBlock = errors.New("verifying needs a round trip")
)

type cacheOnlyKey struct{}

// CacheOnly marks ctx for a caller that must not block (gRPC's tap runs on the connection's reader).
func CacheOnly(ctx context.Context) context.Context { return context.WithValue(ctx, cacheOnlyKey{}, true) }

// IsCacheOnly reports whether ctx was marked by CacheOnly.
func IsCacheOnly(ctx context.Context) bool { v, _ := ctx.Value(cacheOnlyKey{}).(bool); return v }

// Chain asks its verifiers in order; the first that judges the bearer decides. It is the one Verifier the
// servers use in shared mode.
type Chain struct {
	verifiers   []Verifier
	adminGroups []string
}

// NewChain returns a Chain; members of any of adminGroups are platform admins.
func NewChain(adminGroups []string, verifiers ...Verifier) *Chain {
	return &Chain{verifiers: slices.DeleteFunc(verifiers, func(v Verifier) bool { return v == nil }), adminGroups: adminGroups}
}

// Add appends a verifier (for example job-scoped tokens) after the configured ones.
func (c *Chain) Add(v Verifier) { c.verifiers = append(c.verifiers, v) }

// Verify implements Verifier; its principals are Verified, and Admin when in an admin group (a job's
// principal never is: its scope is all it has).
func (c *Chain) Verify(ctx context.Context, bearer string) (Principal, error) {
	for _, v := range c.verifiers {
		p, err := v.Verify(ctx, bearer)
		if errors.Is(err, ErrNotMine) {
			continue
		}
		if err != nil {
			return Principal{}, err
		}
		if err := ValidIdentity(p.Name); err != nil {
			return Principal{}, Refuse(FailUntrusted, "the credential names no valid user: %v", err)
		}
		p.Verified = true
		p.Admin = p.Kind != KindJob && slices.ContainsFunc(c.adminGroups, p.InGroup)
		return p, nil
	}
	return Principal{}, Refuse(FailInvalid, "invalid bearer token")
}
