// Package memory gives back to the operating system what an idle sidecar holds but does not use. A sidecar runs
// per user and sits idle most of the time (docs/benchmarks.md: idle RSS budget), so what it keeps mapped between
// bursts of work is what a node pays for each user.
package memory

import (
	"context"
	"runtime/debug"
	"syscall"
	"time"
)

// Release returns free memory: Go's free heap pages (debug.FreeOSMemory, after a collection), the C heap's free
// pages (DuckDB allocates there; see trimC), and the pages of the executable's read-only mappings (see
// dropExecutablePages). It costs a garbage collection and one madvise per mapping; nothing it drops is lost:
// a page used again is read back from the page cache, which every sidecar on the node shares.
func Release() {
	debug.FreeOSMemory()
	trimC()
	dropExecutablePages()
}

// ReleaseWhenIdle calls Release once a second after it starts (not at once: start-up is not over yet), then
// every period in which the process used less than idleShare of one core (user plus system CPU time); it
// returns when ctx ends. Measuring idleness by the process's own
// CPU time needs no hook in the request path: a sidecar serving calls uses CPU, an idle one almost none.
func ReleaseWhenIdle(ctx context.Context, period time.Duration, idleShare float64) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Second):
	}
	Release()
	t := time.NewTicker(period)
	defer t.Stop()
	last := cpuTime()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := cpuTime()
		if float64(now-last) < idleShare*float64(period) {
			Release()
			now = cpuTime()
		}
		last = now
	}
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
