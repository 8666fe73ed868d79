package interceptors

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/tap"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
)

// IdentityKey is the metadata key (REST: X-Kamld-User header) a token holder uses to name the acting user.
const IdentityKey = "x-kamld-user"

// healthService needs no token: orchestrators probe it without credentials.
const healthService = "/grpc.health.v1.Health/"

type authenticator struct {
	token           auth.Token
	defaultIdentity string
	// verifier is set in shared mode: identity comes only from it, never from x-kamld-user.
	verifier auth.Verifier
	// jobTokens verifies job tokens in single mode (jobtoken.go).
	jobTokens auth.Verifier
}

// authenticate checks the bearer token and resolves the acting identity.
func (a authenticator) authenticate(ctx context.Context, method string) (context.Context, error) {
	if strings.HasPrefix(method, healthService) {
		return ctx, nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if a.verifier != nil {
		return a.authenticateShared(ctx, md)
	}
	if err := CheckToken(a.token, md.Get("authorization")); err != nil {
		p, isJob, jerr := jobPrincipal(ctx, a.jobTokens, md.Get("authorization"))
		if !isJob {
			return nil, err
		}
		if jerr != nil {
			return nil, jerr
		}
		callOf(ctx).identity, callOf(ctx).principal = p.Name, &p // the audit record names the job
		return auth.WithPrincipal(ctx, p), nil
	}
	who := a.defaultIdentity
	if v := md.Get(IdentityKey); len(v) > 0 {
		// gRPC metadata and HTTP headers carry ASCII only, so names are percent-encoded (UTF-8) on the wire:
		// "zoë" arrives as "zo%C3%AB". A name that cannot be decoded is refused, never replaced by the default.
		decoded, err := url.PathUnescape(v[0])
		if err != nil {
			return nil, apierr.InvalidArgument(IdentityKey, "not a percent-encoded UTF-8 name: %v", err)
		}
		if err := auth.ValidIdentity(decoded); err != nil {
			return nil, apierr.InvalidArgument(IdentityKey, "%v", err)
		}
		who = decoded
	}
	ctx = auth.WithIdentity(ctx, who)
	p, _ := auth.PrincipalFrom(ctx)
	callOf(ctx).identity, callOf(ctx).principal = who, &p
	return ctx, nil
}

// CheckToken checks the authorization values of a call (gRPC metadata or HTTP header) against token: nil, or
// an UNAUTHENTICATED *apierr.Error. It looks at nothing else of the call, so it can run before the request's
// body is read (see TapAuth and the HTTP front).
func CheckToken(token auth.Token, authorization []string) error {
	presented, ok := bearer(authorization)
	if !ok {
		return apierr.New(codes.Unauthenticated, kamldv1.ErrorReason_ERROR_REASON_TOKEN_MISSING, "missing bearer token: send `authorization: Bearer <token>` (the token is in the sidecar's token file)")
	}
	if !token.Matches(presented) {
		return apierr.New(codes.Unauthenticated, kamldv1.ErrorReason_ERROR_REASON_TOKEN_INVALID, "invalid bearer token")
	}
	return nil
}

// TapAuth checks the token of every call but health checks when its headers arrive, before grpc-go reads and
// decodes the request message: a call without a valid token is UNAUTHENTICATED whatever its body holds. The
// auth interceptor still resolves the identity (and checks again, for calls that do not pass a tap, such as
// the gateway's in-memory ones: they pass it too).
//
// In shared mode (verifier not nil) the tap verifies the credential and puts the principal into the call's
// context, where the interceptor finds it. The tap runs on the connection's reader, so it must not block: it
// verifies only what needs no round trip (auth.CacheOnly); a credential that does (a Hub token not cached
// yet, a JWT of a key not fetched yet) passes on to the interceptor, which verifies it in the call's own
// goroutine.
func TapAuth(o Options) tap.ServerInHandle {
	au := newAuditor(o.Audit, o.Logger)
	return func(ctx context.Context, info *tap.Info) (context.Context, error) {
		if strings.HasPrefix(info.FullMethodName, healthService) {
			return ctx, nil
		}
		ctx, err := tapCheck(ctx, o, info)
		if err != nil {
			if o.Audit != nil {
				au.writeRefusal(ctx, info.FullMethodName, err, info.Header)
			}
			return nil, apierr.Status(err).Err()
		}
		return ctx, nil
	}
}

// tapCheck is the tap's verdict: ctx (with the principal in shared mode) or the refusal.
func tapCheck(ctx context.Context, o Options, info *tap.Info) (context.Context, error) {
	if o.Verifier == nil {
		err := CheckToken(o.Token, info.Header.Get("authorization"))
		if err != nil && o.JobTokens != nil {
			// a job token is checked by the interceptor: it reads the store
			if _, isJob, _ := jobPrincipal(auth.CacheOnly(ctx), o.JobTokens, info.Header.Get("authorization")); isJob {
				return ctx, nil
			}
		}
		return ctx, err
	}
	p, err := VerifyShared(auth.CacheOnly(ctx), o.Verifier, info.Header.Get("authorization"), info.Header.Get(IdentityKey))
	switch {
	case errors.Is(err, auth.ErrWouldBlock):
		return ctx, nil
	case err != nil && p.Name != "":
		return auth.WithPrincipal(ctx, p), err // verified, but refused: the record names who tried
	case err != nil:
		return ctx, err
	}
	return auth.WithPrincipal(ctx, p), nil
}

// authenticateShared uses the principal the tap verified, or verifies the credential itself.
func (a authenticator) authenticateShared(ctx context.Context, md metadata.MD) (context.Context, error) {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		var err error
		if p, err = VerifyShared(ctx, a.verifier, md.Get("authorization"), md.Get(IdentityKey)); err != nil {
			if p.Name != "" {
				callOf(ctx).principal = &p
			}
			return nil, err
		}
	}
	callOf(ctx).identity, callOf(ctx).principal = p.Name, &p
	return auth.WithPrincipal(ctx, p), nil
}

// VerifyShared authenticates a shared-mode call from its authorization and x-kamld-user values (gRPC
// metadata or HTTP headers): the verified principal, or an *apierr.Error. The credential is judged first, so
// a caller without one learns nothing else; then a call that names its user is refused, because only the
// credential names the caller. Under auth.CacheOnly it may return auth.ErrWouldBlock.
func VerifyShared(ctx context.Context, v auth.Verifier, authorization, identity []string) (auth.Principal, error) {
	presented, ok := bearer(authorization)
	if !ok {
		return auth.Principal{}, apierr.New(codes.Unauthenticated, kamldv1.ErrorReason_ERROR_REASON_TOKEN_MISSING, "missing bearer credential: send `authorization: Bearer <token>` (a service token, JupyterHub token or OIDC token)")
	}
	p, err := v.Verify(ctx, presented)
	if errors.Is(err, auth.ErrWouldBlock) {
		return auth.Principal{}, err
	}
	if err != nil {
		return auth.Principal{}, credentialError(err)
	}
	if len(identity) > 0 {
		// The principal comes back with the refusal so that its audit record names who tried.
		return p, apierr.New(codes.PermissionDenied, kamldv1.ErrorReason_ERROR_REASON_IDENTITY_HEADER_REFUSED,
			"%s is not accepted in shared mode: the caller is who its credential says (%s); send the request without it", IdentityKey, p.Name)
	}
	return p, nil
}

// credentialError maps a verifier's refusal to a status: why the credential failed is the reason.
func credentialError(err error) error {
	var ce *auth.CredentialError
	if !errors.As(err, &ce) {
		return apierr.New(codes.Unavailable, kamldv1.ErrorReason_ERROR_REASON_IDENTITY_PROVIDER_UNAVAILABLE, "cannot verify the credential: %v", err)
	}
	switch ce.Failure {
	case auth.FailExpired:
		return apierr.New(codes.Unauthenticated, kamldv1.ErrorReason_ERROR_REASON_CREDENTIAL_EXPIRED, "%s", ce.Msg)
	case auth.FailUntrusted:
		return apierr.New(codes.Unauthenticated, kamldv1.ErrorReason_ERROR_REASON_CREDENTIAL_UNTRUSTED, "%s", ce.Msg)
	case auth.FailScope:
		return apierr.New(codes.PermissionDenied, kamldv1.ErrorReason_ERROR_REASON_CREDENTIAL_SCOPE_MISSING, "%s", ce.Msg)
	case auth.FailUnavailable:
		return apierr.New(codes.Unavailable, kamldv1.ErrorReason_ERROR_REASON_IDENTITY_PROVIDER_UNAVAILABLE, "%s", ce.Msg)
	default:
		return apierr.New(codes.Unauthenticated, kamldv1.ErrorReason_ERROR_REASON_TOKEN_INVALID, "%s", ce.Msg)
	}
}

func bearer(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || tok == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

func (a authenticator) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	ctx, err := a.authenticate(ctx, info.FullMethod)
	if err != nil {
		return nil, apierr.Status(err).Err()
	}
	return h(ctx, req)
}

func (a authenticator) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	ctx, err := a.authenticate(ss.Context(), info.FullMethod)
	if err != nil {
		return apierr.Status(err).Err()
	}
	return h(srv, &wrappedStream{ServerStream: ss, ctx: ctx})
}
