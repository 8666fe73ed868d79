// Package interceptors holds the gRPC middleware every call passes through, REST calls included (the gateway
// dials the same gRPC server).
package interceptors

import (
	"context"
	"log/slog"
	"slices"

	"google.golang.org/grpc"

	"github.com/kamld/kamld/sidecar/internal/audit"
	"github.com/kamld/kamld/sidecar/internal/auth"
)

// Options are what the chain needs from the server.
type Options struct {
	Logger *slog.Logger
	// Metrics records RPC metrics; nil leaves the metrics link out of the chain (observe.metrics: false).
	Metrics         *Metrics
	Token           auth.Token
	DefaultIdentity string
	// Verifier is set in shared mode (auth.mode: shared): the only source of identity.
	Verifier auth.Verifier
	// Audit receives the audit records; nil leaves the audit link out (audit.mode).
	Audit audit.Writer
	// JobTokens verifies job-scoped tokens in single mode (in shared mode they are part of Verifier).
	JobTokens auth.Verifier
}

// link is one named step of the chain: the same concern applied to unary and to streaming calls, so the two
// paths cannot drift apart.
type link struct {
	name   string
	unary  grpc.UnaryServerInterceptor
	stream grpc.StreamServerInterceptor
}

// chain is the interceptor chain, outermost first. The order is deliberate; each line says why its link sits
// where it does.
func chain(o Options) []link {
	rec := recovery{log: o.Logger}
	log := logging{log: o.Logger}
	au := authenticator{token: o.Token, defaultIdentity: o.DefaultIdentity, verifier: o.Verifier, jobTokens: o.JobTokens}
	errs := errorMapper{log: o.Logger}
	aud := newAuditor(o.Audit, o.Logger)
	return []link{
		// the net for a panic in the interceptors themselves: INTERNAL instead of a dead sidecar.
		{"recovery", rec.unary, rec.stream},
		// assigned before anything logs, so every line of a call carries it.
		{"request-id", requestIDUnary, requestIDStream},
		// one line per call with its final code, identity and duration.
		{"logging", log.unary, log.stream},
		// counts and times every call, rejected ones included.
		{"metrics", o.Metrics.unary, o.Metrics.stream},
		// records mutating and denied calls before they are answered: outside auth to see its refusals,
		// outside the error mapping to see final codes.
		{"audit", aud.unary, aud.stream},
		// the token is checked before any request content is looked at.
		{"auth", au.unary, au.stream},
		// generic request checks, so handlers see only well-formed input (streams: every message received).
		{"validation", validationUnary, validationStream},
		// turns handler errors into statuses (apierr), so everything above sees final codes.
		{"errors", errs.unary, errs.stream},
		// innermost: a panicking handler becomes INTERNAL here, so logging and metrics record it.
		{"handler-recovery", rec.unary, rec.stream},
	}
}

// ServerOptions returns the chain as grpc.ServerOptions: one unary and one stream chain, built from the same
// table in the same order.
func ServerOptions(o Options) []grpc.ServerOption {
	unary, stream := activeLinks(o)
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(unary...), grpc.ChainStreamInterceptor(stream...)}
}

// activeLinks are the chain's unary and stream interceptors, without the links o turns off.
func activeLinks(o Options) ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	links := slices.DeleteFunc(chain(o), func(l link) bool {
		return l.name == "metrics" && o.Metrics == nil || l.name == "audit" && o.Audit == nil
	})
	unary := make([]grpc.UnaryServerInterceptor, len(links))
	stream := make([]grpc.StreamServerInterceptor, len(links))
	for i, l := range links {
		unary[i], stream[i] = l.unary, l.stream
	}
	return unary, stream
}

// StreamChain is the stream chain as one interceptor, the links in the order ServerOptions gives grpc-go,
// for a streaming call served in process without a gRPC transport (the REST Arrow answer of ExecuteQuery):
// such a call is authenticated, logged, counted, audited and error-mapped exactly as a gRPC one.
func StreamChain(o Options) grpc.StreamServerInterceptor {
	_, links := activeLinks(o)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		return links[0](srv, ss, info, nextLink(links[1:], info, h))
	}
}

// nextLink is the handler the link before links sees: the rest of the chain, then h.
func nextLink(links []grpc.StreamServerInterceptor, info *grpc.StreamServerInfo, h grpc.StreamHandler) grpc.StreamHandler {
	if len(links) == 0 {
		return h
	}
	return func(srv any, ss grpc.ServerStream) error {
		return links[0](srv, ss, info, nextLink(links[1:], info, h))
	}
}

// wrappedStream lets a stream interceptor replace the stream's context.
type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrappedStream) Context() context.Context { return w.ctx }
