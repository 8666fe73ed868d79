package interceptors

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// errorMapper maps whatever a handler returns through apierr, the one error mapping. An error apierr does not
// know becomes INTERNAL with a generic message for the client; its real text is logged here, the only place
// that still has it.
type errorMapper struct{ log *slog.Logger }

func (e errorMapper) mapErr(ctx context.Context, method string, err error) error {
	st := apierr.Status(err)
	if st.Code() == codes.Internal {
		if _, isStatus := status.FromError(err); !isStatus {
			e.log.ErrorContext(ctx, "internal error", "method", method, "request_id", RequestID(ctx), "error", err)
		}
	}
	return st.Err()
}

func (e errorMapper) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	resp, err := h(ctx, req)
	if err != nil {
		return nil, e.mapErr(ctx, info.FullMethod, err)
	}
	return resp, nil
}

func (e errorMapper) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := h(srv, ss); err != nil {
		return e.mapErr(ss.Context(), info.FullMethod, err)
	}
	return nil
}
