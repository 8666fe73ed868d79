package trino

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// BenchmarkTrinoRegistration measures what a first query on a new dataset state costs on Trino: rounds of a
// new snapshot whose 2 tables (a CSV and a JSON lines file) have content no earlier state had, each round timing
// through the sidecar's QueryService (gRPC) the first query on it (registration included) and the same query
// again, then the same statement sent directly with trino-go-client on the registered views (the reference).
// Registration is the first query minus the second. Run: make bench-trino-registration.
func BenchmarkTrinoRegistration(b *testing.B) {
	e, eng, srv := serveDataset(b, "reg")
	ctx := context.Background()
	_, _, _ = timeQuery(b, srv.Client, "SELECT 1 AS one") // Trino's own warm-up is not registration
	const q = "SELECT count(*) AS n FROM reg.a JOIN reg.b ON a.k = b.k"
	var first, again, direct []time.Duration
	for round := range 5 {
		csv := fmt.Sprintf("k,v\n%d,x\n1,y\n", round+2)
		_, err := srv.Datasets.WriteFile(ctx, "reg", "a.csv", strings.NewReader(csv), dataset.WriteOptions{})
		require.NoError(b, err)
		jsonl := fmt.Sprintf("{\"k\": 1, \"w\": %d}\n{\"k\": 5, \"w\": 0}\n", round)
		_, err = srv.Datasets.WriteFile(ctx, "reg", "b.jsonl", strings.NewReader(jsonl), dataset.WriteOptions{})
		require.NoError(b, err)
		_, err = srv.Datasets.CreateSnapshot(ctx, "reg", dataset.SnapshotOptions{Message: fmt.Sprint("round ", round)})
		require.NoError(b, err)
		_, err = srv.Client.ListTables(ctx, &kamldv1.ListTablesRequest{Dataset: "datasets/reg"}) // extraction, not measured
		require.NoError(b, err)
		_, cold, _ := timeQuery(b, srv.Client, q)
		_, warm, _ := timeQuery(b, srv.Client, q)
		state, err := e.tables.At(ctx, "reg", "")
		require.NoError(b, err)
		views, err := eng.reg.Register(ctx, "reg", fromTabular(tabular.Tables(state.Files)))
		require.NoError(b, err)
		_, d := timeDirect(b, eng.db, fmt.Sprintf("SELECT count(*) AS n FROM %s a JOIN %s b ON a.k = b.k", views["a"], views["b"]), 1)
		first, again, direct = append(first, cold), append(again, warm), append(direct, d)
	}
	reg := make([]time.Duration, len(first))
	for i := range first {
		reg[i] = first[i] - again[i]
	}
	b.ReportMetric(ms(median(first)), "ms-first-query")
	b.ReportMetric(ms(median(again)), "ms-same-query-again")
	b.ReportMetric(ms(median(direct)), "ms-direct")
	b.ReportMetric(ms(median(reg)), "ms-registration")
	// Printed, not logged: a benchmark's log shows only with -v.
	fmt.Printf("registration of a new state of 2 new tables, median of %d: first query %s, again %s, direct trino-go-client %s; "+
		"registration %s (%.2f× the 1 s budget); first / direct %.1f×\n", len(first),
		median(first).Round(time.Millisecond), median(again).Round(time.Millisecond), median(direct).Round(time.Millisecond),
		median(reg).Round(time.Millisecond), median(reg).Seconds(), float64(median(first))/float64(median(direct)))
	writeRegistrationReport(b, map[string]any{"rounds": len(first), "first_query_ms": ms(median(first)),
		"same_query_again_ms": ms(median(again)), "direct_ms": ms(median(direct)), "registration_ms": ms(median(reg)),
		"budget_ms": 1000})
}

// writeRegistrationReport writes the figures as KAMLD_BENCH_OUT/benchmarks-trino-registration.json, for the
// report of make bench (scripts/bench_report.py); nothing when KAMLD_BENCH_OUT is unset.
func writeRegistrationReport(b *testing.B, figures map[string]any) {
	dir := os.Getenv("KAMLD_BENCH_OUT")
	if dir == "" {
		return
	}
	figures["date"] = time.Now().UTC().Format("2006-01-02 15:04 UTC")
	out, err := json.MarshalIndent(figures, "", "  ")
	require.NoError(b, err)
	require.NoError(b, os.WriteFile(filepath.Join(dir, "benchmarks-trino-registration.json"), append(out, '\n'), 0o644))
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
