package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/testserver/otelcol"
	"github.com/kamld/kamld/sidecar/internal/testserver/proc"
)

// observeMode is one way of running the sidecar: metrics (observe.metrics) and tracing (OTEL_* pointing at
// the collector) each on or off. The first mode, both off, is the reference the others are divided by.
type observeMode struct {
	name             string
	metrics, tracing bool
}

var observeModes = []observeMode{
	{"off", false, false}, {"metrics", true, false}, {"tracing", false, true}, {"metrics+tracing", true, true},
}

const (
	getInfoRounds = 30
	getInfoCalls  = 500 // per round and mode
	uploadRounds  = 21
	uploadSize    = 100 << 20
)

// BenchmarkObserveOverhead measures what metrics and tracing cost: four sidecars (the real binary, one per
// mode) run side by side, tracing ones exporting every span to a real OpenTelemetry Collector. GetInfo over
// gRPC and a 100 MiB raw REST upload are timed in rounds that visit the modes in rotating order, so every
// mode sees the same machine noise; each ratio is the median over rounds of a mode's time divided by the
// time of "off" in the same round, printed with the half interquartile range of those ratios (±). The binary is $KAMLD_BIN (make bench sets it), else bin/kamld of the repository.
//
//	KAMLD_BIN=$PWD/bin/kamld go test -run '^$' -bench ObserveOverhead -benchtime 1x ./sidecar/internal/bench/
func BenchmarkObserveOverhead(b *testing.B) {
	bin := os.Getenv("KAMLD_BIN")
	if bin == "" {
		bin, _ = filepath.Abs("../../../bin/kamld")
	}
	if !proc.IsExecutable(bin) {
		proc.SkipOrFail(b, fmt.Errorf("no kamld binary at %s: run make build (or set KAMLD_BIN)", bin))
	}
	col := otelcol.Start(b)
	sidecars := make([]*benchSidecar, len(observeModes))
	for i, m := range observeModes {
		sidecars[i] = startBenchSidecar(b, bin, m, col.Endpoint)
	}
	for b.Loop() {
		getInfo := timeRounds(b, sidecars, getInfoRounds, func(s *benchSidecar, _ int) error { return s.getInfo(getInfoCalls) })
		upload := timeRounds(b, sidecars, uploadRounds, func(s *benchSidecar, round int) error { return s.upload(round) })
		printOverhead(b, getInfo, upload)
	}
	spans, err := col.Spans()
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range sidecars {
		n := slices.IndexFunc(spans, func(sp otelcol.Span) bool { return sp.Service == s.service })
		if s.mode.tracing != (n >= 0) {
			b.Fatalf("mode %s: spans received by the collector: %v, want %v", s.mode.name, n >= 0, s.mode.tracing)
		}
	}
}

// timeRounds runs work on every sidecar once per round, in an order rotated each round, and returns the
// round durations of each sidecar, in round order.
func timeRounds(b *testing.B, sidecars []*benchSidecar, rounds int, work func(*benchSidecar, int) error) [][]time.Duration {
	b.Helper()
	durations := make([][]time.Duration, len(sidecars))
	for r := -1; r < rounds; r++ { // round -1 warms up and is not counted
		for k := range sidecars {
			i := (k + max(r, 0)) % len(sidecars)
			t := time.Now()
			if err := work(sidecars[i], r); err != nil {
				b.Fatalf("%s: %v", sidecars[i].mode.name, err)
			}
			if r >= 0 {
				durations[i] = append(durations[i], time.Since(t))
			}
		}
	}
	return durations
}

// pairedRatio divides each round of a mode by the same round of the reference, which ran moments before or
// after it, so slow drifts of a shared machine cancel; it returns the median ratio and the half
// interquartile range of the ratios (the noise to read the median against).
func pairedRatio(mode, ref []time.Duration) (median, noise float64) {
	r := make([]float64, len(mode))
	for i := range mode {
		r[i] = float64(mode[i]) / float64(ref[i])
	}
	slices.Sort(r)
	n := len(r)
	return r[n/2], (r[n*3/4] - r[n/4]) / 2
}

func medianOf(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// printOverhead prints the Markdown table of docs/benchmarks.md and reports the ratios as benchmark metrics.
func printOverhead(b *testing.B, getInfo, upload [][]time.Duration) {
	fmt.Println("| mode | GetInfo over gRPC, per call | ratio | 100 MiB REST upload | ratio |")
	fmt.Println("|---|---|---|---|---|")
	for i, m := range observeModes {
		gi, up := medianOf(getInfo[i]), medianOf(upload[i])
		gr, gn := pairedRatio(getInfo[i], getInfo[0])
		ur, un := pairedRatio(upload[i], upload[0])
		fmt.Printf("| %s | %s | %.2f× ± %.2f | %s (%.0f MiB/s) | %.2f× ± %.2f |\n", m.name,
			(gi / getInfoCalls).Round(100*time.Nanosecond), gr, gn, up.Round(time.Millisecond), float64(uploadSize>>20)/up.Seconds(), ur, un)
		if i > 0 {
			b.ReportMetric(gr, "getinfo-"+m.name+"-ratio")
			b.ReportMetric(ur, "upload-"+m.name+"-ratio")
		}
	}
}

// benchSidecar is one running kamld binary with a dataset "bench" to upload into.
type benchSidecar struct {
	mode    observeMode
	service string // OTEL_SERVICE_NAME, to tell its spans apart at the collector
	httpURL string
	token   string
	ctx     context.Context
	client  kamldv1.SystemServiceClient
	http    *http.Client
}

func startBenchSidecar(b *testing.B, bin string, m observeMode, otlp string) *benchSidecar {
	b.Helper()
	dir := b.TempDir()
	readyFile := filepath.Join(dir, "ready.json")
	cmd := exec.Command(bin, "serve", "--data-dir", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--ready-file", readyFile, "--log-level", "warn", "--import-samples=false")
	s := &benchSidecar{mode: m, service: "kamld-bench-" + strings.ReplaceAll(m.name, "+", "-")}
	cmd.Env = append(cleanEnv(), fmt.Sprintf("KAMLD_OBSERVE_METRICS=%t", m.metrics), "OTEL_SERVICE_NAME="+s.service)
	if m.tracing {
		cmd.Env = append(cmd.Env, "OTEL_EXPORTER_OTLP_ENDPOINT="+otlp)
	}
	p, err := proc.Start("kamld-"+m.name, cmd)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Stop(10 * time.Second) })
	var bound struct {
		GRPCAddr string `json:"grpc_addr"`
		HTTPURL  string `json:"http_url"`
	}
	err = p.WaitReady(context.Background(), 60*time.Second, 20*time.Millisecond, func(ctx context.Context) bool {
		raw, err := os.ReadFile(readyFile)
		return err == nil && json.Unmarshal(raw, &bound) == nil && proc.HTTPStatus(ctx, http.DefaultClient, bound.HTTPURL+"/readyz") == http.StatusOK
	})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := os.ReadFile(filepath.Join(dir, "token"))
	if err != nil {
		b.Fatal(err)
	}
	s.httpURL, s.token = bound.HTTPURL, strings.TrimSpace(string(tok))
	conn, err := grpc.NewClient(bound.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	s.ctx = metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+s.token)
	s.client, s.http = kamldv1.NewSystemServiceClient(conn), &http.Client{}
	if _, err := kamldv1.NewDatasetServiceClient(conn).CreateDataset(s.ctx, &kamldv1.CreateDatasetRequest{DatasetId: "bench"}); err != nil {
		b.Fatal(err)
	}
	return s
}

// cleanEnv is the environment without KAMLD_* and OTEL_* variables, so only the mode decides.
func cleanEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "KAMLD_") || strings.HasPrefix(kv, "OTEL_")
	})
}

func (s *benchSidecar) getInfo(calls int) error {
	for range calls {
		if _, err := s.client.GetInfo(s.ctx, &kamldv1.GetInfoRequest{}); err != nil {
			return err
		}
	}
	return nil
}

// upload PUTs a new 100 MiB file (new content each round: no deduplication) through the raw REST route.
func (s *benchSidecar) upload(round int) error {
	seed := fmt.Sprintf("%s-%d;", s.mode.name, round)
	req, err := http.NewRequest("PUT", fmt.Sprintf("%s/v1/datasets/bench/content/big-%d.bin", s.httpURL, round), bigFile(seed, uploadSize))
	if err != nil {
		return err
	}
	req.ContentLength = uploadSize
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("upload: HTTP %d", resp.StatusCode)
	}
	return nil
}
