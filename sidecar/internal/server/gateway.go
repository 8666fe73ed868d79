package server

import (
	"context"
	"net"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protojson"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/observe"
	"github.com/kamld/kamld/sidecar/internal/server/interceptors"
)

// The gateway reaches the gRPC server through an in-memory listener rather than by registering handlers
// in-process (RegisterXHandlerServer): that way every REST call passes through the same interceptor chain as
// a gRPC call, and streaming RPCs work, at the cost of one local HTTP/2 hop with no network or socket file.
// bufconn is grpc-go's in-memory net.Listener; it lives under test/ but is a plain, stable package.
const gatewayBuffer = 1 << 20

// gatewayWindow is the gateway connection's HTTP/2 flow-control window per stream.
const gatewayWindow = 8 << 20

// forwardedHeaders are the HTTP request headers the gateway passes on as gRPC metadata (besides
// Authorization, which grpc-gateway always forwards).
var forwardedHeaders = map[string]string{
	textproto.CanonicalMIMEHeaderKey(interceptors.IdentityKey):  interceptors.IdentityKey,
	textproto.CanonicalMIMEHeaderKey(interceptors.RequestIDKey): interceptors.RequestIDKey,
}

func incomingHeader(key string) (string, bool) {
	if md, ok := forwardedHeaders[textproto.CanonicalMIMEHeaderKey(key)]; ok {
		return md, true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// plainResponseHeaders are response metadata keys sent back as the HTTP headers they are named after (file
// downloads carry their ETag and range); other metadata keeps grpc-gateway's Grpc-Metadata- prefix.
var plainResponseHeaders = map[string]string{
	interceptors.RequestIDKey: "X-Request-Id",
	"etag":                    "ETag",
	"content-range":           "Content-Range",
}

func outgoingHeader(key string) (string, bool) {
	if h, ok := plainResponseHeaders[strings.ToLower(key)]; ok {
		return h, true
	}
	return runtime.MetadataHeaderPrefix + key, true
}

// newGateway builds the REST mux and its connection to the gRPC server.
func newGateway(ctx context.Context, lis *bufconn.Listener, maxMsg int) (*runtime.ServeMux, *grpc.ClientConn, error) {
	opts := []grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg), grpc.MaxCallSendMsgSize(maxMsg)),
		// In memory, flow control only costs round trips: large windows let bulk answers (Arrow results,
		// file downloads) stream without waiting for window updates.
		grpc.WithInitialWindowSize(gatewayWindow), grpc.WithInitialConnWindowSize(4 * gatewayWindow),
	}
	if observe.TracingEnabled() {
		// The REST request's span (observe.HTTPHandler) continues into the gRPC call as its parent.
		opts = append(opts, grpc.WithStatsHandler(otelgrpc.NewClientHandler()))
	}
	conn, err := grpc.NewClient("passthrough:///kamld-gateway", opts...)
	if err != nil {
		return nil, nil, err
	}
	jsonpb := &runtime.JSONPb{
		// Google JSON style: lowerCamelCase names, every field present (clients need not know defaults),
		// enums as names. Unknown fields in requests are errors, not silently dropped.
		MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{Marshaler: jsonpb}),
		runtime.WithIncomingHeaderMatcher(incomingHeader),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
		runtime.WithErrorHandler(apierr.ErrorHandler),
		runtime.WithRoutingErrorHandler(routingErrors(apiRoutes())),
		// Without this, a form-encoded POST to a GET route is served as a GET (grpc-gateway's fallback for
		// clients that cannot send long URLs); kamld's long requests have POST bindings instead.
		runtime.WithDisablePathLengthFallback(),
	)
	for _, register := range []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		kamldv1.RegisterSystemServiceHandler,
		kamldv1.RegisterDatasetServiceHandler,
		kamldv1.RegisterSnapshotServiceHandler,
		kamldv1.RegisterBranchServiceHandler,
		kamldv1.RegisterAccessServiceHandler,
		kamldv1.RegisterFileServiceHandler,
		kamldv1.RegisterSearchServiceHandler,
		kamldv1.RegisterQueryServiceHandler,
		kamldv1.RegisterJobServiceHandler,
		kamldv1.RegisterAuditServiceHandler,
		kamldv1.RegisterPipelineServiceHandler,
		kamldv1.RegisterChangeServiceHandler,
	} {
		if err := register(ctx, mux, conn); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	return mux, conn, nil
}

// limitBody answers RESOURCE_EXHAUSTED (413) for bodies over the limit: at once when Content-Length says so,
// otherwise when the reader crosses it (the error handler recognizes http.MaxBytesError).
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			apierr.WriteStatus(w, apierr.Status(apierr.New(codes.ResourceExhausted, kamldv1.ErrorReason_ERROR_REASON_REQUEST_TOO_LARGE,
				"request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, limit)))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}
