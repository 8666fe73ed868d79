package interceptors

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/auth"
)

// misbehaving is a SystemService whose handler does whatever the test asks, to exercise the chain around it.
type misbehaving struct {
	kamldv1.UnimplementedSystemServiceServer
	do func(ctx context.Context) (*kamldv1.SystemInfo, error)
}

func (m *misbehaving) GetInfo(ctx context.Context, _ *kamldv1.GetInfoRequest) (*kamldv1.SystemInfo, error) {
	return m.do(ctx)
}

func newChain(t *testing.T, svc *misbehaving) (kamldv1.SystemServiceClient, string, *bytes.Buffer, *Metrics) {
	t.Helper()
	conn, tok, logs, metrics := serveChain(t, func(gs *grpc.Server) { kamldv1.RegisterSystemServiceServer(gs, svc) })
	return kamldv1.NewSystemServiceClient(conn), tok, logs, metrics
}

// serveChain serves what register registers behind the whole chain on an in-memory listener.
func serveChain(t *testing.T, register func(*grpc.Server)) (*grpc.ClientConn, string, *bytes.Buffer, *Metrics) {
	t.Helper()
	tokFile := t.TempDir() + "/token"
	tok, err := auth.LoadOrCreateToken(tokFile)
	require.NoError(t, err)
	logs := &bytes.Buffer{}
	metrics := NewMetrics(prometheus.NewRegistry())
	gs := grpc.NewServer(ServerOptions(Options{
		Logger: slog.New(slog.NewTextHandler(logs, nil)), Metrics: metrics, Token: tok, DefaultIdentity: "dflt",
	})...)
	register(gs)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = gs.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///x", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(); gs.Stop() })
	return conn, tok.Value(), logs, metrics
}

func TestChain(t *testing.T) {
	var seenIdentity string
	svc := &misbehaving{}
	client, tok, logs, metrics := newChain(t, svc)
	ctx := metadata.NewOutgoingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+tok, "x-kamld-user", "carol", "x-request-id", "req-42"))

	t.Run("panic becomes INTERNAL and the server lives on", func(t *testing.T) {
		svc.do = func(context.Context) (*kamldv1.SystemInfo, error) { panic("boom: secret detail") }
		_, err := client.GetInfo(ctx, &kamldv1.GetInfoRequest{})
		assert.Equal(t, codes.Internal, status.Code(err))
		assert.NotContains(t, status.Convert(err).Message(), "secret detail")
		assert.Contains(t, logs.String(), "panic in handler")
		svc.do = func(context.Context) (*kamldv1.SystemInfo, error) { return &kamldv1.SystemInfo{Version: "x"}, nil }
		_, err = client.GetInfo(ctx, &kamldv1.GetInfoRequest{})
		assert.NoError(t, err)
	})
	t.Run("unknown errors do not leak but are logged", func(t *testing.T) {
		svc.do = func(context.Context) (*kamldv1.SystemInfo, error) { return nil, errors.New("open /var/secret: denied") }
		_, err := client.GetInfo(ctx, &kamldv1.GetInfoRequest{})
		assert.Equal(t, codes.Internal, status.Code(err))
		assert.Equal(t, "internal error", status.Convert(err).Message())
		assert.Contains(t, logs.String(), "/var/secret")
		assert.Contains(t, logs.String(), "request_id=req-42")
	})
	t.Run("identity and request id reach the handler and the log", func(t *testing.T) {
		svc.do = func(ctx context.Context) (*kamldv1.SystemInfo, error) {
			seenIdentity = auth.Identity(ctx)
			return &kamldv1.SystemInfo{}, nil
		}
		var header metadata.MD
		_, err := client.GetInfo(ctx, &kamldv1.GetInfoRequest{}, grpc.Header(&header))
		require.NoError(t, err)
		assert.Equal(t, "carol", seenIdentity)
		assert.Equal(t, []string{"req-42"}, header.Get("x-request-id"))
		assert.Contains(t, logs.String(), "identity=carol")
	})
	t.Run("bad identity is INVALID_ARGUMENT", func(t *testing.T) {
		bad := metadata.NewOutgoingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+tok, "x-kamld-user", " padded"))
		_, err := client.GetInfo(bad, &kamldv1.GetInfoRequest{})
		assert.Equal(t, codes.InvalidArgument, status.Code(err))
	})
	t.Run("metrics count calls by code", func(t *testing.T) {
		assert.GreaterOrEqual(t, testutil.ToFloat64(metrics.handled.WithLabelValues("/kamld.v1.SystemService/GetInfo", "Internal")), 2.0)
		assert.GreaterOrEqual(t, testutil.ToFloat64(metrics.handled.WithLabelValues("/kamld.v1.SystemService/GetInfo", "OK")), 2.0)
	})
}
