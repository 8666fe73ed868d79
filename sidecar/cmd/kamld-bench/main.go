// Command kamld-bench measures the sidecar against the budgets in docs/benchmarks.md and prints a Markdown
// table for that page. It runs the real binary: start-up and memory are properties of the process, not of a test.
package main

import (
	"context"
	"encoding/json"
	"errors"
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
	jsonOut := flag.String("json", "", "also write the figures as JSON to this file")
	flag.DurationVar(&idleClose, "idle-close", idleClose, "the sidecar's sql.duckdb.idle_close (0: leave the binary's default)")
	flag.Parse()
	if err := run(*binary, *starts, *calls, *jsonOut); err != nil {
		fmt.Fprintln(os.Stderr, "kamld-bench:", err)
		os.Exit(1)
	}
}

// idleClose is the sidecar's sql.duckdb.idle_close in the memory run: short, so that the run does not wait the
// default minute to see DuckDB closed and its memory given back. 0 (-idle-close 0) passes no flag, for binaries
// from before the setting.
var idleClose = 5 * time.Second

func serveFlags() []string {
	if idleClose == 0 {
		return nil
	}
	return []string{"--sql-duckdb-idle-close", idleClose.String()}
}

func run(binary string, starts, calls int, jsonOut string) error {
	dir, err := os.MkdirTemp("", "kamld-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The first start on a new store also imports the sample datasets; restarts find them there.
	p, err := start(binary, dir, serveFlags()...)
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
	p, err = start(binary, dir, serveFlags()...)
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
	mem, err := queriesThenIdle(p)
	if err != nil {
		return err
	}

	fmt.Println("| measure | result | budget |")
	fmt.Println("|---|---|---|")
	fmt.Printf("| time to ready (exec → /readyz 200), median of %d restarts | %s (p90 %s) | < 150 ms |\n", starts, pct(ready, 50), pct(ready, 90))
	fmt.Printf("| first start on a new store (imports the sample datasets) | %s | |\n", firstInstall.Round(time.Millisecond))
	fmt.Printf("| idle RSS after start: total / anonymous (the rest is the executable's shared pages) | %.1f / %.1f MiB | < 40 MB |\n", float64(idle)/1024, float64(idleAnon)/1024)
	fmt.Printf("| RSS after %d GetInfo calls | %.1f MiB | |\n", 2*calls, float64(after)/1024)
	fmt.Printf("| GetInfo over gRPC, p50 / p99 | %s / %s | |\n", pct(grpcLat, 50), pct(grpcLat, 99))
	fmt.Printf("| GetInfo over REST gateway, p50 / p99 | %s / %s | |\n", pct(restLat, 50), pct(restLat, 99))
	fmt.Printf("| REST / gRPC latency ratio (p50) | %.2f× | |\n", float64(pct(restLat, 50))/float64(pct(grpcLat, 50)))
	fmt.Printf("| RSS right after %d SQL queries (DuckDB open) | %.1f MiB | |\n", mem.Queries, float64(mem.AfterQueriesKiB)/1024)
	fmt.Printf("| RSS idle after them (DuckDB closed after sql.duckdb.idle_close %s), min / median / max over 35 s: total | %.1f / %.1f / %.1f MiB | < 40 MB |\n", idleClose, mib(slices.Min(mem.IdleKiB)), mib(median(mem.IdleKiB)), mib(slices.Max(mem.IdleKiB)))
	fmt.Printf("| the same, anonymous | %.1f / %.1f / %.1f MiB | |\n", mib(slices.Min(mem.IdleAnonKiB)), mib(median(mem.IdleAnonKiB)), mib(slices.Max(mem.IdleAnonKiB)))
	if jsonOut == "" {
		return nil
	}
	report := map[string]any{
		"ready_p50_ms": ms(pct(ready, 50)), "ready_p90_ms": ms(pct(ready, 90)), "first_start_ms": ms(firstInstall),
		"idle_rss_kib": idle, "idle_rss_anon_kib": idleAnon, "rss_after_getinfo_kib": after,
		"getinfo_grpc_p50_ms": ms(pct(grpcLat, 50)), "getinfo_grpc_p99_ms": ms(pct(grpcLat, 99)),
		"getinfo_rest_p50_ms": ms(pct(restLat, 50)), "getinfo_rest_p99_ms": ms(pct(restLat, 99)),
		"sql_queries": mem.Queries, "rss_after_queries_kib": mem.AfterQueriesKiB,
		"rss_idle_after_queries_median_kib": median(mem.IdleKiB), "rss_idle_after_queries_max_kib": slices.Max(mem.IdleKiB),
		"rss_idle_after_queries_min_kib":         slices.Min(mem.IdleKiB),
		"rss_anon_idle_after_queries_median_kib": median(mem.IdleAnonKiB), "rss_idle_samples_kib": mem.IdleKiB,
	}
	b, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(jsonOut, append(b, '\n'), 0o644)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func mib(kib int) float64 { return float64(kib) / 1024 }

func median(v []int) int {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

type proc struct {
	cmd        *exec.Cmd
	grpcAddr   string
	httpURL    string
	token      string
	readyAfter time.Duration
}

// start launches the binary on free ports with data in dir and waits until /readyz answers 200.
func start(binary, dir string, flags ...string) (*proc, error) {
	readyFile := filepath.Join(dir, "ready.json")
	args := append([]string{"serve", "--data-dir", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--ready-file", readyFile, "--log-level", "warn"}, flags...)
	cmd := exec.Command(binary, args...)
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

// memRun is the memory a sidecar holds after a run of queries, and after it has been idle.
type memRun struct {
	Queries         int
	AfterQueriesKiB int
	// IdleKiB and IdleAnonKiB sample VmRSS and RssAnon every 500 ms for 35 s, from 1 s after DuckDB's idle close.
	IdleKiB, IdleAnonKiB []int
}

// benchQueries read the sample datasets a new store imports: aggregates, sorts and joins large enough to have
// DuckDB allocate (cross joins of a few million rows).
var benchQueries = []string{
	"SELECT species, count(*), avg(sepal_length_cm) FROM iris.iris GROUP BY species",
	"SELECT * FROM penguins.penguins ORDER BY body_mass_g DESC",
	"SELECT count(*), avg(a.alcohol + b.alcohol) FROM wine.wine a, wine.wine b, iris.iris c",
	"SELECT a.island, b.species, count(*) FROM penguins.penguins a, penguins.penguins b GROUP BY ALL ORDER BY 3 DESC",
	`SELECT * FROM "seattle-weather" ORDER BY date DESC LIMIT 500`,
	"SELECT a.*, b.proline FROM wine.wine a JOIN wine.wine b ON a.target = b.target ORDER BY a.proline",
}

// queriesThenIdle runs benchQueries 5 times over gRPC, reads the RSS, waits until DuckDB has been closed for
// being idle (and a little longer), and reads it again.
func queriesThenIdle(p *proc) (memRun, error) {
	conn, err := grpc.NewClient(p.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return memRun{}, err
	}
	defer conn.Close()
	client := kamldv1.NewQueryServiceClient(conn)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+p.token)
	var run memRun
	for range 5 {
		for _, q := range benchQueries {
			if err := drain(ctx, client, q); err != nil {
				return run, fmt.Errorf("%s: %w", q, err)
			}
			run.Queries++
		}
	}
	run.AfterQueriesKiB, _ = rssKiB(p.cmd.Process.Pid, "VmRSS")
	// Idle: DuckDB closes after idleClose; then sample for longer than the sidecar's release period (30 s), as
	// the resident size moves between releases.
	time.Sleep(idleClose + time.Second)
	for t0 := time.Now(); time.Since(t0) < 35*time.Second; time.Sleep(500 * time.Millisecond) {
		total, err := rssKiB(p.cmd.Process.Pid, "VmRSS")
		if err != nil {
			return run, err
		}
		anon, _ := rssKiB(p.cmd.Process.Pid, "RssAnon")
		if os.Getenv("KAMLD_BENCH_TRACE") != "" {
			fmt.Fprintln(os.Stderr, "idle sample", p.cmd.Process.Pid, total, anon)
		}
		run.IdleKiB = append(run.IdleKiB, total)
		run.IdleAnonKiB = append(run.IdleAnonKiB, anon)
	}
	return run, nil
}

func drain(ctx context.Context, c kamldv1.QueryServiceClient, q string) error {
	stream, err := c.ExecuteQuery(ctx, &kamldv1.ExecuteQueryRequest{Sql: q, MaxRows: 100_000})
	if err != nil {
		return err
	}
	for {
		if _, err := stream.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
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
