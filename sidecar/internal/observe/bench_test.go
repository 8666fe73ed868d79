package observe

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// BenchmarkOperation measures what timing one backend operation costs: metrics only (tracing off, the
// default), and with tracing on inside a traced call (span started, ended and batched for export).
func BenchmarkOperation(b *testing.B) {
	b.Run("metrics", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			_, done := Operation(ctx, "bench", "put")
			done(nil)
		}
	})
	b.Run("metrics+tracing", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		defer tp.Shutdown(context.Background())
		prev := otel.GetTracerProvider()
		otel.SetTracerProvider(tp)
		tracing = true
		defer func() { tracing = false; otel.SetTracerProvider(prev) }()
		ctx, span := Tracer().Start(context.Background(), "call")
		defer span.End()
		for b.Loop() {
			_, done := Operation(ctx, "bench", "put")
			done(nil)
		}
	})
}
