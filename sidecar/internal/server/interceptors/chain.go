// Package interceptors holds the gRPC middleware every call passes through, REST calls included (the gateway
// dials the same gRPC server).
package interceptors

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/kamld/kamld/sidecar/internal/auth"
)

// Options are what the chain needs from the server.
type Options struct {
	Logger          *slog.Logger
	Metrics         *Metrics
	Token           auth.Token
	DefaultIdentity string
}

// ServerOptions returns the interceptor chain as grpc.ServerOptions. The order is deliberate, outermost first:
//
//  1. recovery   – the net for a panic in the interceptors themselves: INTERNAL instead of a dead sidecar;
//  2. request id – assigned before anything logs, so every line of a call carries it;
//  3. logging    – one line per call with its final code, identity and duration;
//  4. metrics    – counts and times every call, rejected ones included;
//  5. auth       – the token is checked before any request content is looked at;
//  6. validation – generic request checks, so handlers see only well-formed input;
//  7. errors     – turns handler errors into statuses (apierr), so everything above sees final codes;
//  8. recovery   – innermost: a panicking handler becomes INTERNAL here, so logging and metrics record it.
func ServerOptions(o Options) []grpc.ServerOption {
	rec := recovery{log: o.Logger}
	log := logging{log: o.Logger}
	au := authenticator{token: o.Token, defaultIdentity: o.DefaultIdentity}
	errs := errorMapper{log: o.Logger}
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(rec.unary, requestIDUnary, log.unary, o.Metrics.unary, au.unary, validationUnary, errs.unary, rec.unary),
		grpc.ChainStreamInterceptor(rec.stream, requestIDStream, log.stream, o.Metrics.stream, au.stream, validationStream, errs.stream, rec.stream),
	}
}

// wrappedStream lets a stream interceptor replace the stream's context.
type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrappedStream) Context() context.Context { return w.ctx }
