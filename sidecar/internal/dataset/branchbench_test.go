package dataset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// Branch benchmarks (docs/branches.md): creating a branch costs the same at 10 and 100,000 files, and merging
// a branch with 10 changed files costs what changed — at 100,000 files within 2× of the same merge at 1,000.
//
//	go test -run '^$' -bench 'Branch|Merge' ./sidecar/internal/dataset/

func BenchmarkBranchCreate(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("store=fs,fsync=true/files=%d", n), func(b *testing.B) {
			bb := base(b, n, true)
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				if _, err := bb.e.CreateBranch(ctx, bb.id, fmt.Sprintf("create-%d", benchNames.Add(1)), "", ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMerge10Changes merges a branch whose snapshot changed 10 files into the default branch, which
// changed one other file meanwhile (so the merge is three-way, not a fast-forward).
func BenchmarkMerge10Changes(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("store=fs,fsync=true/files=%d", n), func(b *testing.B) {
			bb := base(b, n, true)
			rng := rand.New(rand.NewPCG(uint64(n), 11))
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				name := fmt.Sprintf("merge-%d", benchNames.Add(1))
				if _, err := bb.e.CreateBranch(ctx, bb.id, name, "", ""); err != nil {
					b.Fatal(err)
				}
				on := bb.onBranch(name)
				on.change10(b, rng, i, false)
				if _, err := bb.e.CreateSnapshot(ctx, on.id, SnapshotOptions{Message: "10 changes"}); err != nil {
					b.Fatal(err)
				}
				if _, err := bb.e.WriteFile(ctx, bb.id, fmt.Sprintf("%s.txt", name), stringsReader("main"), WriteOptions{}); err != nil {
					b.Fatal(err)
				}
				if _, err := bb.e.CreateSnapshot(ctx, bb.id, SnapshotOptions{Message: "main moves on"}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := bb.e.MergeBranch(ctx, bb.id, name, "", MergeOptions{Strategy: MergeTheirs})
				if err != nil {
					b.Fatal(err)
				}
				if res.FastForward || res.Stats.Modified == 0 || res.Stats.Modified > 10 {
					b.Fatalf("merge did %+v", res.Stats)
				}
			}
		})
	}
}

// benchNames numbers the branches benchmarks create: a benchmark function runs several times on one base.
var benchNames atomic.Int64

// onBranch is the bench dataset seen through one of its branches.
func (bb *benchBase) onBranch(name string) *benchBase {
	return &benchBase{e: bb.e, id: bb.id + "@" + name, paths: bb.paths}
}
