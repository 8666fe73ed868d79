//go:build linux

package memory

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const smaps = `00400000-00a9b000 r--p 00000000 fe:00 1 /bin/kamld
Rss:                6764 kB
Anonymous:             0 kB
00a9b000-04897000 r-xp 0069b000 fe:00 1 /bin/kamld
Anonymous:             0 kB
075d4000-07653000 r--p 071d3000 fe:00 1 /bin/kamld
Anonymous:           372 kB
07653000-077ac000 rw-p 07252000 fe:00 1 /bin/kamld
Anonymous:            12 kB
7f00-7f10 r--p 00000000 fe:00 2 /usr/lib/libc.so.6
Anonymous:             0 kB
`

func TestOnlyCleanReadOnlyMappingsOfTheExecutableAreDropped(t *testing.T) {
	got := cleanReadOnlyMappings(bufio.NewScanner(strings.NewReader(smaps)), "/bin/kamld")
	assert.Equal(t, [][2]uintptr{{0x400000, 0xa9b000}, {0xa9b000, 0x4897000}}, got,
		"relocated (copied) read-only pages, writable data and other files are kept")
}

// TestReleaseKeepsTheProcessWorking drops the test binary's own pages and runs code and reads data afterwards.
func TestReleaseKeepsTheProcessWorking(t *testing.T) {
	before := rssFileKiB(t)
	Release()
	after := rssFileKiB(t)
	assert.Less(t, after, before, "file-backed RSS falls")
	assert.Equal(t, "ok", strings.ToLower("OK"), "code and read-only data fault back in")
}

func TestReleaseWhenIdleReturnsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() { ReleaseWhenIdle(ctx, 10*time.Millisecond, 0.5); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("ReleaseWhenIdle did not return after its context ended")
	}
}

func rssFileKiB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			var n int
			_, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), "kB"), &n)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no RssFile")
	return 0
}
