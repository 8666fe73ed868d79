package interceptors

import (
	"context"
	"strings"

	"google.golang.org/grpc"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// capability answers UNIMPLEMENTED, naming the capability, for services this build registers only so that
// reflection, the gateway and the OpenAPI document show the whole API.
type capability struct{ unavailable map[string]string }

func (c capability) check(fullMethod string) error {
	service, method, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	if name, ok := c.unavailable[service]; ok {
		return apierr.Status(apierr.Unimplemented(service+"."+method, name)).Err()
	}
	return nil
}

func (c capability) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := c.check(info.FullMethod); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (c capability) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := c.check(info.FullMethod); err != nil {
		return err
	}
	return h(srv, ss)
}
