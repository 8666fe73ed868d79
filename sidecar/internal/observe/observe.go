// Package observe is kamld's observability: the process-wide Prometheus metrics of backends and domain work
// (this file and domain.go), backend health history (health.go) and OpenTelemetry tracing (tracing.go).
// docs/observability.md lists every metric and what it means.
//
// Labels are a fixed, small set of values chosen by kamld (backend names, operation names, gRPC code names,
// job states and reasons); never a user, dataset, path or anything a caller chose. TestNoUserDataInLabels
// (sidecar/internal/server) runs a workload with distinctive names and scans /metrics for them.
package observe

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// Registry holds the process-wide metrics (backends, domain, Go runtime, process). Each server adds its own
// registry for RPC metrics and serves both (server.Run gathers them together).
var Registry = prometheus.NewRegistry()

// DurationBuckets are the histogram buckets, in seconds, for everything kamld times: 1 ms to 10 min, so that
// long queries, uploads and log streams land in a bucket rather than in +Inf.
var DurationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

var backendOps = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "kamld_backend_operation_duration_seconds",
	Help:    "Duration of backend operations, by backend (fs, s3, bleve, elasticsearch, duckdb, trino, local, kubernetes), operation and outcome (ok or a lower-case gRPC code).",
	Buckets: DurationBuckets,
}, []string{"backend", "operation", "outcome"})

func init() {
	Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), backendOps)
	registerDomain(Registry)
}

// Outcome is the label value of an operation's result: "ok", or the lower-case name of the gRPC code the
// error maps to (apierr), e.g. "not_found", "unavailable", "canceled". A fixed set of 17 values.
func Outcome(err error) string {
	if err == nil {
		return "ok"
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "deadline_exceeded"
	}
	return codeLabel(apierr.Code(err).String())
}

// codeLabel turns a gRPC code name (NotFound) into a label value (not_found).
func codeLabel(name string) string {
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Operation starts timing one backend operation, and a span for it when tracing is on and ctx is traced; call the returned
// func with its error when it ends, and pass the returned context to the backend. backend and operation must
// be constants of kamld's code, never request data.
func Operation(ctx context.Context, backend, operation string) (context.Context, func(error)) {
	start := time.Now()
	var span trace.Span
	if tracing && trace.SpanContextFromContext(ctx).IsValid() { // within a traced call only: no root span per health poll
		ctx, span = Tracer().Start(ctx, backend+" "+operation, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("kamld.backend", backend), attribute.String("kamld.operation", operation)))
	}
	return ctx, func(err error) {
		d := time.Since(start)
		backendOps.WithLabelValues(backend, operation, Outcome(err)).Observe(d.Seconds())
		recent.add(backend, operation, d, err)
		if span != nil {
			if err != nil && !clientError(err) {
				span.SetStatus(codes.Error, Redact(err.Error()))
			}
			span.End()
		}
	}
}
