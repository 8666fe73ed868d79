package fs

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Every caller returns only after an fsync that started after it called has finished, and concurrent callers
// share fsyncs.
func TestDirSyncsGroupCommit(t *testing.T) {
	var g dirSyncs
	var started, finished atomic.Int64 // round numbers, in start order
	do := func(string) error {
		n := started.Add(1)
		time.Sleep(5 * time.Millisecond)
		finished.Store(n)
		return nil
	}
	const callers = 64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			before := started.Load()
			assert.NoError(t, g.sync("d", do))
			assert.Greater(t, finished.Load(), before, "returned before an fsync that started after the call")
		})
	}
	wg.Wait()
	assert.Less(t, started.Load(), int64(callers), "no fsync was shared")
	assert.Eventually(t, func() bool { // the leader forgets the folder just after its last round
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.dirs) == 0
	}, time.Second, time.Millisecond, "state kept once idle")
}

// The error of the round a caller joined is its error.
func TestDirSyncsError(t *testing.T) {
	var g dirSyncs
	boom := errors.New("boom")
	assert.ErrorIs(t, g.sync("d", func(string) error { return boom }), boom)
	assert.NoError(t, g.sync("d", func(string) error { return nil }))
}
