package elastic

import (
	"context"
	"testing"

	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/indextest"
)

// BenchmarkSearchLatency indexes generated catalogs of 1k, 10k and 100k datasets into a real Elasticsearch
// (the test server: one node on loopback, 512 MB heap) and reports index time and search latency p50/p99,
// with the same generator, queries and runner as the bleve benchmark (KAMLD_BENCH_SEARCH_SIZES overrides the
// sizes, e.g. "1000,10000"). `make bench` runs both in one `go test` call.
func BenchmarkSearchLatency(b *testing.B) {
	sizes := indextest.BenchSizes(b)
	// A freshly started JVM compiles its hot paths during the first thousands of requests; warm it up on a
	// throwaway catalogue first, so the first size measures Elasticsearch and not its JIT (a long-running
	// cluster is always warm).
	if _, err := indextest.BenchSearch(context.Background(), newIndex(b), 2_000, 1_000); err != nil {
		b.Fatal(err)
	}
	indextest.ReportLatency(b, func(b *testing.B) index.Index { return newIndex(b) }, sizes, 1000)
}
