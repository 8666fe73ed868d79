package interceptors

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// logging writes one line per call. Client mistakes log at info, server faults at error; request bodies are
// never logged (they may hold data or credentials).
type logging struct{ log *slog.Logger }

func (l logging) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	l.line(ctx, info.FullMethod, start, err)
	return resp, err
}

func (l logging) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	start := time.Now()
	err := h(srv, ss)
	l.line(ss.Context(), info.FullMethod, start, err)
	return err
}

func (l logging) line(ctx context.Context, method string, start time.Time, err error) {
	st := status.Convert(err)
	level := slog.LevelInfo
	switch st.Code() {
	case codes.Internal, codes.DataLoss, codes.Unknown:
		level = slog.LevelError
	case codes.Unavailable, codes.DeadlineExceeded:
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("code", st.Code().String()),
		slog.Duration("duration", time.Since(start)),
		slog.String("request_id", RequestID(ctx)),
	}
	if who := callOf(ctx).identity; who != "" {
		attrs = append(attrs, slog.String("identity", who))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", st.Message()))
	}
	l.log.LogAttrs(ctx, level, "rpc", attrs...)
}
