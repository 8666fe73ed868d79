package main

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/testserver/otelcol"
)

// TestTraceThroughGatewayToBackends runs a real kamld with tracing configured by the standard OTEL_*
// variables, exporting to a real OpenTelemetry Collector on loopback. One REST query that arrives with a W3C
// traceparent (as the Jupyter server extension sends it) makes one trace, child of the caller's span, with
// spans from the REST gateway, the gRPC handler, the blob store and the SQL engine.
func TestTraceThroughGatewayToBackends(t *testing.T) {
	col := otelcol.Start(t)
	k := startKamld(t, t.TempDir(),
		"OTEL_EXPORTER_OTLP_ENDPOINT="+col.Endpoint, "OTEL_BSP_SCHEDULE_DELAY=50", "OTEL_SERVICE_NAME=kamld-trace-test")
	setupScores(t, k)

	traceID, parent := randomHex(16), randomHex(8)
	req, err := http.NewRequest("POST", k.httpURL+"/v1/queries:execute", strings.NewReader(`{"sql": "SELECT count(*) FROM \"scores@v1\".scores"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+k.token)
	req.Header.Set("traceparent", "00-"+traceID+"-"+parent+"-01")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	var spans []otelcol.Span
	want := []string{"query POST", "kamld.v1.QueryService/ExecuteQuery", "fs get", "duckdb query"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		spans, err = col.Trace(traceID)
		require.NoError(t, err)
		if hasAll(spans, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s has spans %v, wants %v", traceID, names(spans), want)
		}
		time.Sleep(100 * time.Millisecond)
	}

	byID := map[string]otelcol.Span{}
	for _, s := range spans {
		byID[s.SpanID] = s
		assert.Equal(t, "kamld-trace-test", s.Service)
	}
	// One tree: every span's parent is in the trace, except the root's, which is the caller's span.
	roots := 0
	for _, s := range spans {
		if _, ok := byID[s.ParentSpanID]; !ok {
			roots++
			assert.Equal(t, parent, s.ParentSpanID, "the root continues the caller's span")
		}
	}
	assert.Equal(t, 1, roots, "spans: %v", names(spans))
}

func setupScores(t *testing.T, k *kamldProcess) {
	t.Helper()
	_, err := kamldv1.NewDatasetServiceClient(k.conn).CreateDataset(k.ctx, &kamldv1.CreateDatasetRequest{DatasetId: "scores"})
	require.NoError(t, err)
	stream, err := kamldv1.NewFileServiceClient(k.conn).WriteFile(k.ctx)
	require.NoError(t, err)
	require.NoError(t, stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Header{Header: &kamldv1.WriteFileHeader{Dataset: "datasets/scores", Path: "scores.csv"}}}))
	require.NoError(t, stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Data{Data: []byte("name,score\nann,3\nbob,4\n")}}))
	_, err = stream.CloseAndRecv()
	require.NoError(t, err)
	_, err = kamldv1.NewSnapshotServiceClient(k.conn).CreateSnapshot(k.ctx, &kamldv1.CreateSnapshotRequest{Parent: "datasets/scores"})
	require.NoError(t, err)
}

func hasAll(spans []otelcol.Span, want []string) bool {
	have := map[string]bool{}
	for _, s := range spans {
		have[s.Name] = true
	}
	for _, w := range want {
		if !have[w] {
			return false
		}
	}
	return true
}

func names(spans []otelcol.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
