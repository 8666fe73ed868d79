package blob

import (
	"context"
	"time"
)

// TempSweeper is a store that stages writes in flight as temporary files of its own (the fs store's DIR/tmp/),
// which a process killed mid-write leaves behind. Garbage collection sweeps them (dataset.GCTemp).
//
// Contract:
//   - SweepTemp finds the temporary entries last modified before `before` (in the store's clock) and removes
//     them, or with dryRun only counts them; entries modified since are counted as young and kept.
//   - A write in flight keeps its entry's modification time fresh, so with a cutoff older than any write takes
//     (a grace period) no write in flight loses its file. A write whose file was swept fails; it never leaves
//     a partial object visible.
//   - Sizes are those of the entries (a folder counts the files in it).
type TempSweeper interface {
	SweepTemp(ctx context.Context, before time.Time, dryRun bool) (removed, young TempCount, err error)
}

// TempCount counts temporary entries and their bytes.
type TempCount struct {
	Entries int64
	Bytes   int64
}

// Capability finds an optional interface T of a store that decorators (metrics, tracing) may wrap: each
// decorator exposes what it wraps through `Unwrap() any`, so maintenance-only interfaces such as
// TempSweeper need not be re-exported by every decorator.
func Capability[T any](s Store) (T, bool) {
	var v any = s
	for {
		if t, ok := v.(T); ok {
			return t, true
		}
		u, ok := v.(interface{ Unwrap() any })
		if !ok {
			var zero T
			return zero, false
		}
		v = u.Unwrap()
	}
}
