package indextest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/query"
)

// vocabulary of the generated catalog: words drawn with a skewed distribution, as in real descriptions.
var (
	benchWords = []string{
		"customer", "churn", "sales", "revenue", "daily", "monthly", "sensor", "readings", "images", "labels",
		"training", "validation", "clicks", "sessions", "weather", "temperature", "fraud", "transactions",
		"genome", "variants", "survey", "responses", "inventory", "orders", "traffic", "logs", "energy",
		"prices", "claims", "patients", "trips", "reviews", "ratings", "embeddings", "features", "events",
	}
	benchTags    = []string{"finance", "marketing", "ml", "raw", "curated", "pii", "public", "nlp", "vision", "timeseries", "tabular", "draft", "prod", "archive"}
	benchOwners  = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"}
	benchFormats = []string{"csv", "parquet", "jsonl", "image", "tsv", "json"}
	benchColumns = []string{"id", "customer_id", "amount", "ts", "label", "score", "country", "price", "qty", "user_id", "event", "value", "lat", "lon"}
)

// Generate returns n documents with realistic metadata (seeded, so every backend gets the same catalog).
func Generate(n int, seed uint64) []*index.Document {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	zipf := rand.NewZipf(r, 1.2, 1, uint64(len(benchWords)-1))
	pick := func(from []string, k int) []string {
		out := map[string]bool{}
		for range k {
			out[from[r.IntN(len(from))]] = true
		}
		keys := make([]string, 0, len(out))
		for v := range out {
			keys = append(keys, v)
		}
		slices.Sort(keys)
		return keys
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	docs := make([]*index.Document, n)
	for i := range docs {
		words := make([]string, 8+r.IntN(24))
		for j := range words {
			words[j] = benchWords[zipf.Uint64()]
		}
		var cols []index.Column
		for _, c := range pick(benchColumns, 2+r.IntN(8)) {
			cols = append(cols, index.Column{Name: c, Type: "VARCHAR"})
		}
		created := base.Add(time.Duration(r.IntN(700*24)) * time.Hour)
		docs[i] = &index.Document{
			ID: fmt.Sprintf("ds-%07d", i), Description: fmt.Sprint(words),
			Tags: pick(benchTags, 1+r.IntN(4)), Labels: map[string]string{"team": benchOwners[r.IntN(len(benchOwners))]},
			Owner: benchOwners[r.IntN(len(benchOwners))], Formats: pick(benchFormats, 1+r.IntN(2)), Columns: cols,
			Bytes: int64(r.ExpFloat64() * 50e6), Files: int64(1 + r.IntN(1000)), Rows: int64(r.ExpFloat64() * 1e6),
			CreateTime: created, UpdateTime: created.Add(time.Duration(r.IntN(60*24)) * time.Hour),
			Snapshot: fmt.Sprintf("%064x", i), Sequence: int64(1 + r.IntN(20)),
		}
	}
	return docs
}

// BenchQueries are the queries the latency benchmark cycles through, with the facets and order of a search
// box: free text, filters, ranges, negation, phrases.
var BenchQueries = []struct {
	Query string
	Sort  index.SortBy
}{
	{"customer churn", index.ByRelevance},
	{"tag:finance", index.ByUpdated},
	{"format:parquet size:>10MB", index.BySize},
	{"owner:alice -tag:draft", index.ByName},
	{`"sensor readings"`, index.ByRelevance},
	{"column:customer_id updated:>2025-01-01", index.ByUpdated},
	{"revenue OR sales tag:prod", index.ByRelevance},
	{"", index.ByUpdated},
}

// Latency is what BenchSearch measures at one catalog size.
type Latency struct {
	Docs          int
	IndexTime     time.Duration
	P50, P99, Max time.Duration
	Searches      int
}

// BenchSearch indexes n generated documents into ix in batches, then runs searches (page of 20, facets on
// tag/format/owner, highlights) round-robin over BenchQueries and reports the latency distribution.
func BenchSearch(ctx context.Context, ix index.Index, n, searches int) (Latency, error) {
	docs := Generate(n, 42)
	start := time.Now()
	for i := 0; i < len(docs); i += 1000 {
		if err := ix.Upsert(ctx, docs[i:min(i+1000, len(docs))]...); err != nil {
			return Latency{}, err
		}
	}
	lat := Latency{Docs: n, IndexTime: time.Since(start), Searches: searches}
	reqs := make([]*index.Request, len(BenchQueries))
	for i, q := range BenchQueries {
		node, err := query.Parse(q.Query)
		if err != nil {
			return lat, err
		}
		reqs[i] = &index.Request{Query: node, Sort: index.Sort{By: q.Sort, Desc: q.Sort != index.ByName}, PageSize: 20,
			Facets: []string{index.FacetTag, index.FacetFormat, index.FacetOwner}, Highlight: true}
	}
	for _, r := range reqs { // warm caches once, as a running sidecar would be
		if _, err := ix.Search(ctx, r); err != nil {
			return lat, err
		}
	}
	times := make([]time.Duration, searches)
	for i := range times {
		t := time.Now()
		if _, err := ix.Search(ctx, reqs[i%len(reqs)]); err != nil {
			return lat, err
		}
		times[i] = time.Since(t)
	}
	slices.Sort(times)
	lat.P50, lat.P99, lat.Max = times[len(times)/2], times[len(times)*99/100], times[len(times)-1]
	return lat, nil
}

// BenchSizes is the catalog sizes every backend's latency benchmark runs: 1k, 10k and 100k datasets, or the
// comma-separated list in KAMLD_BENCH_SEARCH_SIZES (e.g. "1000,10000").
func BenchSizes(b *testing.B) []int {
	s := os.Getenv("KAMLD_BENCH_SEARCH_SIZES")
	if s == "" {
		return []int{1_000, 10_000, 100_000}
	}
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(f)
		if err != nil {
			b.Fatal(err)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// ReportLatency runs BenchSearch as a sub-benchmark per size, reports the numbers as metrics and prints them
// as rows of a Markdown table (backend, datasets, index time, p50, p99, max) for docs/benchmarks.md.
//
// With KAMLD_BENCH_OUT set to a folder, it also writes benchmarks-search-<backend>.json there (one entry per size)
// for the report of make bench (scripts/bench_report.py).
func ReportLatency(b *testing.B, newIndex func(b *testing.B) index.Index, sizes []int, searches int) {
	fmt.Println("| backend | datasets | index time | search p50 | search p99 | max |")
	fmt.Println("|---|---|---|---|---|---|")
	var rows []map[string]any
	backend := ""
	defer func() { writeReport(b, "search-"+backend, rows) }()
	for _, n := range sizes {
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) {
			for range b.N {
				ix := newIndex(b)
				lat, err := BenchSearch(context.Background(), ix, n, searches)
				if err != nil {
					b.Fatal(err)
				}
				fmt.Printf("| %s | %d | %.1f s | %.2f ms | %.2f ms | %.2f ms |\n", ix.Name(), n, lat.IndexTime.Seconds(),
					ms(lat.P50), ms(lat.P99), ms(lat.Max))
				backend = ix.Name()
				rows = append(rows, map[string]any{"datasets": n, "index_s": lat.IndexTime.Seconds(), "p50_ms": ms(lat.P50),
					"p99_ms": ms(lat.P99), "max_ms": ms(lat.Max), "searches": lat.Searches})
				b.ReportMetric(lat.IndexTime.Seconds(), "index-s")
				b.ReportMetric(ms(lat.P50), "p50-ms")
				b.ReportMetric(ms(lat.P99), "p99-ms")
				b.ReportMetric(ms(lat.Max), "max-ms")
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// writeReport writes rows as KAMLD_BENCH_OUT/benchmarks-<name>.json, with the date and the machine's load;
// nothing when KAMLD_BENCH_OUT is unset or there are no rows.
func writeReport(b *testing.B, name string, rows []map[string]any) {
	dir := os.Getenv("KAMLD_BENCH_OUT")
	if dir == "" || len(rows) == 0 {
		return
	}
	load, _ := os.ReadFile("/proc/loadavg")
	out, err := json.MarshalIndent(map[string]any{
		"date": time.Now().UTC().Format("2006-01-02 15:04 UTC"), "load_average": strings.Fields(string(load) + " ?")[0],
		"results": rows,
	}, "", "  ")
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "benchmarks-"+name+".json"), append(out, '\n'), 0o644)
	}
	if err != nil {
		b.Error(err)
	}
}
