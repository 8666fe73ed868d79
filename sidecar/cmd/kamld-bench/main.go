// Command kamld-bench measures the sidecar against the budgets in docs/benchmarks.md and prints a Markdown
// table for that page. It runs the real binary: start-up and memory are properties of the process, not of a test.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

func main() {
	binary := flag.String("binary", "bin/kamld", "kamld binary to measure")
	starts := flag.Int("starts", 15, "number of cold starts to time")
	calls := flag.Int("calls", 3000, "GetInfo calls per transport")
	flag.Parse()
	if err := run(*binary, *starts, *calls); err != nil {
		fmt.Fprintln(os.Stderr, "kamld-bench:", err)
		os.Exit(1)
	}
}

func run(binary string, starts, calls int) error {
	dir, err := os.MkdirTemp("", "kamld-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The first start on a new store also imports the sample datasets; restarts find them there.
	p, err := start(binary, dir)
	if err != nil {
		return err
	}
	firstInstall := p.readyAfter
	p.stop()
	var ready []time.Duration
	for range starts {
		p, err := start(binary, dir)
		if err != nil {
			return err
		}
		ready = append(ready, p.readyAfter)
		p.stop()
	}
	p, err = start(binary, dir)
	if err != nil {
		return err
	}
	defer p.stop()
	time.Sleep(2 * time.Second)
	idle, err := rssKiB(p.cmd.Process.Pid, "VmRSS")
	if err != nil {
		return err
	}
	// DuckDB's C++ library is linked in and its static initializers touch much of the binary, so most of the
	// RSS is file-backed: pages of the executable, shared by every sidecar on a node. The anonymous part is
	// what each additional sidecar costs.
	idleAnon, err := rssKiB(p.cmd.Process.Pid, "RssAnon")
	if err != nil {
		return err
	}
	grpcLat, restLat, err := compareTransports(p, calls)
	if err != nil {
		return err
	}
	after, _ := rssKiB(p.cmd.Process.Pid, "VmRSS")

	fmt.Println("| measure | result | budget |")
	fmt.Println("|---|---|---|")
	fmt.Printf("| time to ready (exec → /readyz 200), median of %d restarts | %s (p90 %s) | < 150 ms |\n", starts, pct(ready, 50), pct(ready, 90))
	fmt.Printf("| first start on a new store (imports the sample datasets) | %s | |\n", firstInstall.Round(time.Millisecond))
	fmt.Printf("| idle RSS after start: total / anonymous (the rest is the executable's shared pages) | %.1f / %.1f MiB | < 40 MB |\n", float64(idle)/1024, float64(idleAnon)/1024)
	fmt.Printf("| RSS after %d GetInfo calls | %.1f MiB | |\n", 2*calls, float64(after)/1024)
	fmt.Printf("| GetInfo over gRPC, p50 / p99 | %s / %s | |\n", pct(grpcLat, 50), pct(grpcLat, 99))
	fmt.Printf("| GetInfo over REST gateway, p50 / p99 | %s / %s | |\n", pct(restLat, 50), pct(restLat, 99))
	fmt.Printf("| REST / gRPC latency ratio (p50) | %.2f× | |\n", float64(pct(restLat, 50))/float64(pct(grpcLat, 50)))
	return nil
}

type proc struct {
	cmd        *exec.Cmd
	grpcAddr   string
	httpURL    string
	token      string
	readyAfter time.Duration
}

// start launches the binary on free ports with data in dir and waits until /readyz answers 200.
func start(binary, dir string) (*proc, error) {
	readyFile := filepath.Join(dir, "ready.json")
	cmd := exec.Command(binary, "serve", "--data-dir", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--ready-file", readyFile, "--log-level", "warn")
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd}
	deadline := t0.Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(readyFile); err == nil {
			var bound struct {
				GRPCAddr string `json:"grpc_addr"`
				HTTPURL  string `json:"http_url"`
			}
			if json.Unmarshal(b, &bound) == nil {
				if resp, err := http.Get(bound.HTTPURL + "/readyz"); err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						p.readyAfter = time.Since(t0)
						p.grpcAddr, p.httpURL = bound.GRPCAddr, bound.HTTPURL
						tok, err := os.ReadFile(filepath.Join(dir, "token"))
						p.token = strings.TrimSpace(string(tok))
						return p, err
					}
				}
			}
		}
		time.Sleep(time.Millisecond)
	}
	p.stop()
	return nil, fmt.Errorf("sidecar not ready within 10s")
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()
}

func compareTransports(p *proc, calls int) (grpcLat, restLat []time.Duration, err error) {
	conn, err := grpc.NewClient(p.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	client := kamldv1.NewSystemServiceClient(conn)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+p.token)
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	restCall := func() error {
		req, _ := http.NewRequest("GET", p.httpURL+"/v1/system/info", nil)
		req.Header.Set("Authorization", "Bearer "+p.token)
		resp, err := httpClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("REST GetInfo: HTTP %d", resp.StatusCode)
		}
		return nil
	}
	grpcCall := func() error { _, err := client.GetInfo(ctx, &kamldv1.GetInfoRequest{}); return err }
	// Interleave the two so both see the same machine noise; warm up first.
	for range 200 {
		if err := grpcCall(); err != nil {
			return nil, nil, err
		}
		if err := restCall(); err != nil {
			return nil, nil, err
		}
	}
	for range calls {
		t := time.Now()
		if err := grpcCall(); err != nil {
			return nil, nil, err
		}
		grpcLat = append(grpcLat, time.Since(t))
		t = time.Now()
		if err := restCall(); err != nil {
			return nil, nil, err
		}
		restLat = append(restLat, time.Since(t))
	}
	return grpcLat, restLat, nil
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s) - 1) * p / 100
	return s[i].Round(time.Microsecond)
}

// rssKiB reads one memory field (VmRSS, RssAnon, RssFile) of a process, in KiB.
func rssKiB(pid int, field string) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no %s for pid %d", field, pid)
}
