package observe

import (
	"context"
	"net/http"
	"os"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// tracing is set once by SetupTracing, before anything builds a client or a server.
var tracing bool

// TracingEnabled reports whether spans are exported. When false, kamld installs no tracing instrumentation
// at all (no stats handler, no HTTP wrappers), so tracing costs nothing when off.
func TracingEnabled() bool { return tracing }

// tracingRequested reads the standard OpenTelemetry variables: tracing is on when an OTLP endpoint is set
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or OTEL_TRACES_EXPORTER=otlp, and
// neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none says otherwise.
func tracingRequested() bool {
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") {
		return false
	}
	switch strings.ToLower(os.Getenv("OTEL_TRACES_EXPORTER")) {
	case "none":
		return false
	case "otlp":
		return true
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// SetupTracing installs the W3C trace-context propagator and, when the OTEL_* variables ask for it, an OTLP
// (HTTP/protobuf) exporter; everything else (endpoint, headers, sampler, resource attributes, service name)
// comes from the standard variables. The returned func flushes and stops the exporter.
func SetupTracing(ctx context.Context, version string) (func(context.Context) error, error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if !tracingRequested() {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, err
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceVersion(version)))
	if err != nil {
		return nil, err
	}
	if os.Getenv("OTEL_SERVICE_NAME") == "" && !strings.Contains(os.Getenv("OTEL_RESOURCE_ATTRIBUTES"), "service.name") {
		res, _ = resource.Merge(res, resource.NewSchemaless(semconv.ServiceName("kamld")))
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	tracing = true
	return tp.Shutdown, nil
}

// HTTPTransport returns base (nil: http.DefaultTransport) wrapped so that outgoing requests carry the trace
// context and make client spans, when tracing is on; otherwise base itself.
func HTTPTransport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if !tracing {
		return base
	}
	return otelhttp.NewTransport(base)
}

// HTTPHandler wraps h so incoming requests continue the caller's trace (traceparent header), when tracing is
// on; otherwise h itself.
func HTTPHandler(h http.Handler, operation string) http.Handler {
	if !tracing {
		return h
	}
	// Span names stay low-cardinality: "gateway POST", not the path, which names datasets and files.
	return otelhttp.NewHandler(h, operation, otelhttp.WithSpanNameFormatter(func(op string, r *http.Request) string {
		return op + " " + r.Method
	}))
}

// Tracer is kamld's tracer for its own spans.
func Tracer() trace.Tracer { return otel.Tracer("github.com/kamld/kamld/sidecar") }

// TraceParent returns the W3C traceparent of ctx's span, or "" when there is none (tracing off).
func TraceParent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c["traceparent"]
}
