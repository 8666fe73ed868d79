package interceptors

import (
	"context"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// recovery turns a panic into INTERNAL and logs the stack; the client never sees the panic value.
type recovery struct{ log *slog.Logger }

func (r recovery) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	defer r.recover(info.FullMethod, &err)
	return h(ctx, req)
}

func (r recovery) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
	defer r.recover(info.FullMethod, &err)
	return h(srv, ss)
}

func (r recovery) recover(method string, err *error) {
	if p := recover(); p != nil {
		r.log.Error("panic in handler", "method", method, "panic", p, "stack", string(debug.Stack()))
		*err = status.Error(codes.Internal, "internal error")
	}
}
