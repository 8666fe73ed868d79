"""Optional OpenTelemetry tracing of the proxy (docs/observability.md, "Traces").

The W3C trace context a browser sends (``traceparent``, ``tracestate``) is always forwarded to the sidecar.
When the OpenTelemetry SDK and its OTLP/HTTP exporter are installed (``pip install 'kamld[tracing]'``) and the
standard ``OTEL_*`` variables ask for export, each proxied request also gets its own server span, child of the
browser's, and the sidecar's spans become children of it. Without them nothing here costs more than a dict
lookup.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

_tracer: Any = None
_configured = False


def _requested() -> bool:
    """The same rule as the sidecar's (observe.tracingRequested)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").lower()
    if exporter == "none":
        return False
    return exporter == "otlp" or bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def _get_tracer() -> Any:
    """The proxy's tracer, set up once; None when tracing is off or the SDK is not installed."""
    global _tracer, _configured
    if _configured:
        return _tracer
    _configured = True
    if not _requested():
        return None
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        return None
    service = os.environ.get("OTEL_SERVICE_NAME") or "kamld-jupyter"
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _tracer = trace.get_tracer("kamld.server")
    return _tracer


@contextlib.contextmanager
def proxy_span(
    method: str, incoming: Mapping[str, str], outgoing: MutableMapping[str, str]
) -> Iterator[None]:
    """Run a proxied request in a span continuing the browser's trace, and put the span's context into the
    headers sent to the sidecar. The span's name is the method only: paths name datasets and files."""
    tracer = _get_tracer()
    if tracer is None:
        yield
        return
    from opentelemetry import propagate, trace

    parent = propagate.extract(incoming)
    with tracer.start_as_current_span(f"kamld proxy {method}", context=parent, kind=trace.SpanKind.SERVER):
        propagate.inject(outgoing)
        yield
