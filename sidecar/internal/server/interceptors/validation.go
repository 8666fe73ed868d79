package interceptors

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/validation"
)

func validate(req any) error {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	if err := validation.Decoded(m); err != nil {
		return apierr.Status(err).Err()
	}
	if err := validation.Request(m); err != nil {
		return apierr.Status(err).Err()
	}
	return nil
}

func validationUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := validate(req); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func validationStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	return h(srv, validatingStream{ss})
}

// validatingStream checks each message a client streams in, as it arrives.
type validatingStream struct{ grpc.ServerStream }

func (s validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return validate(m)
}
