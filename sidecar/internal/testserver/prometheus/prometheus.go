// Package prometheus runs a real Prometheus server for tests: the pinned binary that
// scripts/install-prometheus.sh builds, on a free loopback port with a temporary data directory, scraping the
// given targets every second. Stopped when the test ends.
//
// The binary is $KAMLD_PROMETHEUS_BIN, or ~/.cache/kamld/bin/prometheus. When it is missing the test is skipped
// outside CI and fails in CI, saying how to install it.
package prometheus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kamld/kamld/sidecar/internal/testserver/proc"
)

// EnvBinary names the variable that overrides where the Prometheus binary is.
const EnvBinary = "KAMLD_PROMETHEUS_BIN"

// Server is a running Prometheus.
type Server struct {
	// URL is the base URL of its HTTP API.
	URL string
}

// Binary returns the path of the Prometheus binary, and an error telling how to install it if absent.
func Binary() (string, error) {
	bin, err := proc.CachePath(EnvBinary, "bin", "prometheus")
	if err != nil {
		return "", err
	}
	if !proc.IsExecutable(bin) {
		return "", fmt.Errorf("no Prometheus at %s: run make prometheus (or set %s)", bin, EnvBinary)
	}
	return bin, nil
}

// Start runs Prometheus scraping targets (host:port, path /metrics) every second, with the label
// namespace="test" on every series as a ServiceMonitor would add, and registers its shutdown with tb.Cleanup.
func Start(tb testing.TB, targets ...string) *Server {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		proc.SkipOrFail(tb, err)
	}
	dir := tb.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	conf := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: kamld
    static_configs:
      - targets: ["%s"]
        labels:
          namespace: test
`, strings.Join(targets, `", "`))
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	addr := proc.MustFreeAddr(tb)
	p, err := proc.Start("prometheus", exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Stop(5 * time.Second) })
	s := &Server{URL: "http://" + addr}
	err = p.WaitReady(context.Background(), 60*time.Second, 100*time.Millisecond, func(ctx context.Context) bool {
		resp, err := http.Get(s.URL + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Sample is one series of an instant query's answer.
type Sample struct {
	Labels map[string]string
	Value  string
}

// Query runs an instant PromQL query.
func (s *Server) Query(expr string) ([]Sample, error) {
	resp, err := http.Get(s.URL + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", expr, r.Error)
	}
	var out []Sample
	for _, x := range r.Data.Result {
		v, _ := x.Value[1].(string)
		out = append(out, Sample{Labels: x.Metric, Value: v})
	}
	return out, nil
}
