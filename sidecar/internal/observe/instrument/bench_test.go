package instrument_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/observe/instrument"
)

// BenchmarkPut compares a 100 MiB and a 1 KiB Put on the fs store, bare and through the metrics decorator.
func BenchmarkPut(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1KiB", 1 << 10}, {"100MiB", 100 << 20}} {
		data := bytes.Repeat([]byte("k"), size.n)
		for _, mode := range []string{"bare", "instrumented"} {
			b.Run(size.name+"/"+mode, func(b *testing.B) {
				raw, err := fs.New(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				var s blob.Store = raw
				if mode == "instrumented" {
					s = instrument.Blob(raw)
				}
				b.SetBytes(int64(size.n))
				for b.Loop() {
					if _, err := s.Put(context.Background(), "bench/object", bytes.NewReader(data), blob.PutOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
