package interceptors

import (
	"context"
	"net/url"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

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
}

// authenticate checks the bearer token and resolves the acting identity.
func (a authenticator) authenticate(ctx context.Context, method string) (context.Context, error) {
	if strings.HasPrefix(method, healthService) {
		return ctx, nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	presented, ok := bearer(md.Get("authorization"))
	if !ok {
		return nil, apierr.New(codes.Unauthenticated, kamldv1.ErrorReason_ERROR_REASON_TOKEN_MISSING, "missing bearer token: send `authorization: Bearer <token>` (the token is in the sidecar's token file)")
	}
	if !a.token.Matches(presented) {
		return nil, apierr.New(codes.Unauthenticated, kamldv1.ErrorReason_ERROR_REASON_TOKEN_INVALID, "invalid bearer token")
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
	callOf(ctx).identity = who
	return auth.WithIdentity(ctx, who), nil
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
