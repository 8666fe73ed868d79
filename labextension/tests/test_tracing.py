"""One request through the server extension's proxy is one trace: the proxy's own span (Python, service
"kamld-jupyter") continues the browser's trace context, and the sidecar's gateway and gRPC spans (service
"kamld") are its descendants. Checked on a real OpenTelemetry Collector (`make otelcol`), whose file exporter
the test reads, as the Go trace test does (sidecar/internal/testserver/otelcol)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kamld.server import tracing

from .conftest import Fetch, free_port, wait_running

pytest.importorskip("opentelemetry.sdk", reason="the tracing extra: pip install 'kamld[tracing]'")

COLLECTOR_CONFIG = """receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{port}
exporters:
  file:
    path: {out}
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file]
"""


def _collector_binary() -> Path:
    explicit = os.environ.get("KAMLD_OTELCOL_BIN", "")
    cache = Path(os.environ.get("KAMLD_CACHE", Path.home() / ".cache" / "kamld"))
    binary = Path(explicit) if explicit else cache / "bin" / "kamld-otelcol"
    if not os.access(binary, os.X_OK):
        message = f"no OpenTelemetry Collector at {binary}: run make otelcol (or set KAMLD_OTELCOL_BIN)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return binary


class Collector:
    def __init__(self, endpoint: str, out: Path) -> None:
        self.endpoint = endpoint
        self.out = out

    def spans(self, trace_id: str) -> list[dict[str, Any]]:
        """Every span of the trace received so far, with its service name."""
        found: list[dict[str, Any]] = []
        if not self.out.exists():
            return found
        for line in self.out.read_text().splitlines():
            try:
                doc = json.loads(line)
            except json.JSONDecodeError:  # the exporter is writing this line right now
                continue
            for rs in doc.get("resourceSpans", []):
                attrs = rs.get("resource", {}).get("attributes", [])
                service = next(
                    (a["value"].get("stringValue", "") for a in attrs if a.get("key") == "service.name"), ""
                )
                for ss in rs.get("scopeSpans", []):
                    for span in ss.get("spans", []):
                        if span.get("traceId") == trace_id:
                            found.append({**span, "service": service})
        return found


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    port = free_port()
    out = tmp_path / "spans.jsonl"
    config = tmp_path / "otelcol.yaml"
    config.write_text(COLLECTOR_CONFIG.format(port=port, out=out))
    proc = subprocess.Popen(
        [str(_collector_binary()), "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "collector exited"
                time.sleep(0.05)
        yield Collector(f"http://127.0.0.1:{port}", out)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def tracing_env(collector: Collector, monkeypatch: pytest.MonkeyPatch) -> Collector:
    """OTEL_* for the server extension (its tracer is set up on first use) and the sidecar it starts."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    monkeypatch.setattr(tracing, "_configured", False)
    monkeypatch.setattr(tracing, "_tracer", None)
    return collector


async def test_proxy_span_in_the_sidecars_trace(tracing_env: Collector, jp_fetch: Fetch) -> None:
    await wait_running(jp_fetch)
    trace_id = secrets.token_hex(16)
    browser_span = secrets.token_hex(8)
    response = await jp_fetch(
        "kamld",
        "api",
        "v1",
        "system",
        "info",
        headers={"traceparent": f"00-{trace_id}-{browser_span}-01"},
    )
    assert response.code == 200
    from opentelemetry import trace

    trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]

    deadline = time.monotonic() + 20
    spans: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        spans = tracing_env.spans(trace_id)
        services = {s["service"] for s in spans}
        if {"kamld-jupyter", "kamld"} <= services and any(s["name"].startswith("kamld.v1.") for s in spans):
            break
        time.sleep(0.2)
    proxy = [s for s in spans if s["service"] == "kamld-jupyter"]
    assert [s["name"] for s in proxy] == ["kamld proxy GET"], spans
    assert proxy[0]["parentSpanId"] == browser_span, "the proxy span continues the browser's context"
    by_id = {s["spanId"]: s for s in spans}

    def ancestors(span: dict[str, Any]) -> list[str]:
        chain = []
        while span.get("parentSpanId") in by_id:
            span = by_id[span["parentSpanId"]]
            chain.append(span["spanId"])
        return chain

    sidecar = [s for s in spans if s["service"] == "kamld"]
    names = {s["name"] for s in sidecar}
    assert "gateway GET" in names, names
    assert "kamld.v1.SystemService/GetInfo" in names, names
    for span in sidecar:
        assert proxy[0]["spanId"] in ancestors(span), f"{span['name']} is not below the proxy span"
