package interceptors

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

const unauthenticated = codes.Unauthenticated

// errorsUnary maps whatever a handler returns through apierr, the one error mapping.
func errorsUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	resp, err := h(ctx, req)
	if err != nil {
		return nil, apierr.Status(err).Err()
	}
	return resp, nil
}

func errorsStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := h(srv, ss); err != nil {
		return apierr.Status(err).Err()
	}
	return nil
}
