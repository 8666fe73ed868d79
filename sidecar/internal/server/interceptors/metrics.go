package interceptors

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kamld/kamld/sidecar/internal/observe"
)

// Metrics counts and times RPCs for Prometheus.
type Metrics struct {
	handled  *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the RPC metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kamld_rpc_handled_total",
			Help: "RPCs completed, by method and gRPC code.",
		}, []string{"method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kamld_rpc_duration_seconds",
			Help:    "RPC latency in seconds, by method (streams: until the stream ends). Buckets reach 10 min for long queries, uploads and log streams.",
			Buckets: observe.DurationBuckets,
		}, []string{"method"}),
	}
	reg.MustRegister(m.handled, m.duration)
	return m
}

// observe records one finished call. method is the gRPC full method name, from the fixed set this server
// registers (unknown methods never reach interceptors), so it is a safe label value.
func (m *Metrics) observe(ctx context.Context, method string, start time.Time, err error) {
	d := time.Since(start)
	st := status.Convert(err)
	m.handled.WithLabelValues(method, st.Code().String()).Inc()
	m.duration.WithLabelValues(method).Observe(d.Seconds())
	observe.RPCDone(method, st.Code().String(), d, RequestID(ctx), st.Message(), serverFault(st.Code()))
}

// serverFault reports codes that mean the sidecar or a backend failed, not the caller.
func serverFault(c codes.Code) bool {
	switch c {
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
		return true
	}
	return false
}

func (m *Metrics) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	m.observe(ctx, info.FullMethod, start, err)
	return resp, err
}

func (m *Metrics) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	start := time.Now()
	err := h(srv, ss)
	m.observe(ss.Context(), info.FullMethod, start, err)
	return err
}
