package interceptors

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/auth"
)

// watcher is a JobService whose server-streaming WatchJob does what the test asks after sending one event,
// and records what the chain handed it.
type watcher struct {
	kamldv1.UnimplementedJobServiceServer
	mu       sync.Mutex
	calls    int
	identity string
	reqID    string
	then     func() error
}

func (w *watcher) WatchJob(req *kamldv1.WatchJobRequest, stream grpc.ServerStreamingServer[kamldv1.JobEvent]) error {
	w.mu.Lock()
	w.calls++
	w.identity, w.reqID = auth.Identity(stream.Context()), RequestID(stream.Context())
	then := w.then
	w.mu.Unlock()
	if err := stream.Send(&kamldv1.JobEvent{Job: req.GetName()}); err != nil {
		return err
	}
	return then()
}

func (w *watcher) handled() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls
}

// drain reads a WatchJob stream to its end: the events received and the final status.
func drain(t *testing.T, c kamldv1.JobServiceClient, ctx context.Context, name string, opts ...grpc.CallOption) ([]*kamldv1.JobEvent, error) {
	t.Helper()
	stream, err := c.WatchJob(ctx, &kamldv1.WatchJobRequest{Name: name}, opts...)
	require.NoError(t, err)
	var events []*kamldv1.JobEvent
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return events, nil
		}
		if err != nil {
			return events, err
		}
		events = append(events, ev)
	}
}

// TestStreamPath sends a server-streaming RPC through the whole chain and observes every link on it.
func TestStreamPath(t *testing.T) {
	svc := &watcher{then: func() error { return nil }}
	conn, tok, logs, metrics := serveChain(t, func(gs *grpc.Server) { kamldv1.RegisterJobServiceServer(gs, svc) })
	client := kamldv1.NewJobServiceClient(conn)
	const method = "/kamld.v1.JobService/WatchJob"
	authed := metadata.NewOutgoingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+tok, "x-kamld-user", "dana", "x-request-id", "stream-7"))

	t.Run("auth: no token never reaches the handler", func(t *testing.T) {
		_, err := drain(t, client, context.Background(), "jobs/a")
		assert.Equal(t, codes.Unauthenticated, status.Code(err))
		assert.Zero(t, svc.handled())
	})
	t.Run("validation: a control character in the request never reaches the handler", func(t *testing.T) {
		_, err := drain(t, client, authed, "jobs/a\x00")
		assert.Equal(t, codes.InvalidArgument, status.Code(err))
		assert.Zero(t, svc.handled())
	})
	t.Run("request id, identity and logging reach the stream", func(t *testing.T) {
		var header metadata.MD
		events, err := drain(t, client, authed, "jobs/a", grpc.Header(&header))
		require.NoError(t, err)
		require.Len(t, events, 1)
		assert.Equal(t, "jobs/a", events[0].GetJob())
		assert.Equal(t, []string{"stream-7"}, header.Get("x-request-id"))
		assert.Equal(t, "dana", svc.identity)
		assert.Equal(t, "stream-7", svc.reqID)
		assert.Contains(t, logs.String(), "method="+method+" code=OK")
		assert.Contains(t, logs.String(), "identity=dana")
	})
	t.Run("errors: an unknown error mid-stream is INTERNAL, logged, not leaked", func(t *testing.T) {
		svc.then = func() error { return errors.New("open /var/secret: denied") }
		events, err := drain(t, client, authed, "jobs/b")
		assert.Len(t, events, 1, "what was sent before the error arrives")
		assert.Equal(t, codes.Internal, status.Code(err))
		assert.Equal(t, "internal error", status.Convert(err).Message())
		assert.Contains(t, logs.String(), "/var/secret")
	})
	t.Run("recovery: a panic mid-stream is INTERNAL and the server lives on", func(t *testing.T) {
		svc.then = func() error { panic("boom: secret detail") }
		_, err := drain(t, client, authed, "jobs/c")
		assert.Equal(t, codes.Internal, status.Code(err))
		assert.NotContains(t, status.Convert(err).Message(), "secret detail")
		assert.Contains(t, logs.String(), "panic in handler")
		svc.then = func() error { return nil }
		_, err = drain(t, client, authed, "jobs/d")
		assert.NoError(t, err)
	})
	t.Run("metrics: every outcome is counted by code", func(t *testing.T) {
		for code, want := range map[string]float64{"Unauthenticated": 1, "InvalidArgument": 1, "OK": 2, "Internal": 2} {
			assert.Equal(t, want, testutil.ToFloat64(metrics.handled.WithLabelValues(method, code)), code)
		}
	})
}

// TestChainTable keeps the table's promises: unique names, in the order the package documents, each link with
// both interceptors.
func TestChainTable(t *testing.T) {
	var names []string
	for _, l := range chain(Options{}) {
		assert.NotNil(t, l.unary, l.name)
		assert.NotNil(t, l.stream, l.name)
		names = append(names, l.name)
	}
	assert.Equal(t, []string{"recovery", "request-id", "logging", "metrics", "audit", "auth", "validation", "errors", "handler-recovery"}, names)
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	assert.Len(t, slices.Compact(sorted), len(names), "names are unique")
}
