package bleve

import (
	"testing"

	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/indextest"
)

// BenchmarkSearchLatency indexes generated catalogs of 1k, 10k and 100k datasets and reports index time and
// search latency p50/p99 (KAMLD_BENCH_SEARCH_SIZES overrides the sizes, e.g. "1000,10000").
func BenchmarkSearchLatency(b *testing.B) {
	sizes := indextest.BenchSizes(b)
	indextest.ReportLatency(b, func(b *testing.B) index.Index {
		ix, err := New(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = ix.Close() })
		return ix
	}, sizes, 1000)
}
