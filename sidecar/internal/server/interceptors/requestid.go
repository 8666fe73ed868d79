package interceptors

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/observe"
)

// RequestIDKey is the metadata key (and, over REST, the X-Request-Id header) of a call's id.
const RequestIDKey = "x-request-id"

type callKey struct{}

// call is what the outer interceptors learn about a call from the inner ones: the request id is set on the
// way in, the identity by auth further down, and logging reads both on the way out.
type call struct {
	requestID string
	identity  string
	principal *auth.Principal // set by auth, read by the audit link
}

func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	if c == nil {
		return &call{}
	}
	return c
}

// RequestID returns the id of the call.
func RequestID(ctx context.Context) string { return callOf(ctx).requestID }

// withRequestID keeps a caller's id when it is short and printable (so ids from a proxy or another service
// join up in logs), otherwise makes one, and sends it back in the response header.
func withRequestID(ctx context.Context) context.Context {
	id := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(RequestIDKey); len(v) > 0 && validRequestID(v[0]) {
			id = v[0]
		}
	}
	if id == "" {
		id = newRequestID()
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs(RequestIDKey, id))
	return context.WithValue(observe.WithRequestID(ctx, id), callKey{}, &call{requestID: id})
}

// RequestIDFor is the id a call sent with given gets: given when it is a valid id, otherwise a new one. The
// raw HTTP routes use it to know, and echo, the id of the call they are about to make.
func RequestIDFor(given string) string {
	if validRequestID(given) {
		return given
	}
	return newRequestID()
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

func requestIDUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	return h(withRequestID(ctx), req)
}

func requestIDStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	return h(srv, &wrappedStream{ServerStream: ss, ctx: withRequestID(ss.Context())})
}
