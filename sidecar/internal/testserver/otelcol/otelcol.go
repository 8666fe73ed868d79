// Package otelcol runs a real OpenTelemetry Collector for tests: the minimal distribution that
// scripts/install-otelcol.sh builds (OTLP receiver, file exporter), on a free loopback port, writing every span
// it receives to a JSON-lines file the test reads. Stopped when the test ends.
//
// The binary is $KAMLD_OTELCOL_BIN, or ~/.cache/kamld/bin/kamld-otelcol. When it is missing the test is skipped
// outside CI and fails in CI, saying how to install it.
package otelcol

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kamld/kamld/sidecar/internal/testserver/proc"
)

// EnvBinary names the variable that overrides where the collector binary is.
const EnvBinary = "KAMLD_OTELCOL_BIN"

// Collector is a running collector.
type Collector struct {
	// Endpoint is the OTLP/HTTP base URL, for OTEL_EXPORTER_OTLP_ENDPOINT.
	Endpoint string
	out      string
}

// Binary returns the path of the collector binary, and an error telling how to install it if absent.
func Binary() (string, error) {
	bin, err := proc.CachePath(EnvBinary, "bin", "kamld-otelcol")
	if err != nil {
		return "", err
	}
	if !proc.IsExecutable(bin) {
		return "", fmt.Errorf("the OpenTelemetry Collector is not at %s: run make otelcol (or set %s)", bin, EnvBinary)
	}
	return bin, nil
}

const config = `receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
exporters:
  file:
    path: %s
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file]
`

// Start runs a collector and registers its shutdown with tb.Cleanup.
func Start(tb testing.TB) *Collector {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		proc.SkipOrFail(tb, err)
	}
	dir := tb.TempDir()
	addr := proc.MustFreeAddr(tb)
	c := &Collector{Endpoint: "http://" + addr, out: filepath.Join(dir, "spans.jsonl")}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, config, addr, c.out), 0o600); err != nil {
		tb.Fatal(err)
	}
	p, err := proc.Start("otelcol", exec.Command(bin, "--config", cfg))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Stop(5 * time.Second) })
	err = p.WaitReady(context.Background(), 30*time.Second, 50*time.Millisecond, func(context.Context) bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Span is one received span, with the name of the service that sent it.
type Span struct {
	Service      string
	TraceID      string
	SpanID       string
	ParentSpanID string
	Name         string
	Kind         int
}

// otlpJSON is the part of the file exporter's OTLP/JSON lines the tests read.
type otlpJSON struct {
	ResourceSpans []struct {
		Resource struct {
			Attributes []struct {
				Key   string `json:"key"`
				Value struct {
					StringValue string `json:"stringValue"`
				} `json:"value"`
			} `json:"attributes"`
		} `json:"resource"`
		ScopeSpans []struct {
			Spans []struct {
				TraceID      string `json:"traceId"`
				SpanID       string `json:"spanId"`
				ParentSpanID string `json:"parentSpanId"`
				Name         string `json:"name"`
				Kind         int    `json:"kind"`
			} `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

// Spans returns every span received so far.
func (c *Collector) Spans() ([]Span, error) {
	data, err := os.ReadFile(c.out)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// The file exporter appends one JSON document per line while we read: only complete lines count (the
	// last one may still be being written), and blank lines are skipped.
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	} else {
		data = nil
	}
	var out []Span
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var doc otlpJSON
		if err := json.Unmarshal(line, &doc); err != nil {
			return nil, fmt.Errorf("collector output: %w", err)
		}
		for _, rs := range doc.ResourceSpans {
			service := ""
			for _, a := range rs.Resource.Attributes {
				if a.Key == "service.name" {
					service = a.Value.StringValue
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					out = append(out, Span{Service: service, TraceID: s.TraceID, SpanID: s.SpanID, ParentSpanID: s.ParentSpanID, Name: s.Name, Kind: s.Kind})
				}
			}
		}
	}
	return out, nil
}

// Trace returns the spans of one trace id.
func (c *Collector) Trace(traceID string) ([]Span, error) {
	all, err := c.Spans()
	var out []Span
	for _, s := range all {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	return out, err
}
