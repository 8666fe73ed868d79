package blobtest

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHeapSamplerSeesBuffering keeps the streaming test honest: the same measurement around a consumer that
// does buffer the whole object must report about the object's size.
func TestHeapSamplerSeesBuffering(t *testing.T) {
	gen := newGenerator(LargeSize)
	mem := newHeapSampler()
	gen.sample = mem.sample
	var buf bytes.Buffer
	_, err := io.Copy(&buf, gen)
	require.NoError(t, err)
	mem.sample()
	require.GreaterOrEqual(t, mem.growth(), int64(LargeSize), "a buffered object must show as heap growth")
	require.Equal(t, LargeSize, buf.Len())
}

func TestFillHasNoShortPeriod(t *testing.T) {
	a, b := make([]byte, 4096), make([]byte, 4096)
	fill(a, 0)
	for _, off := range []int64{1, 256, 4096, 65536, 1 << 20} {
		fill(b, off)
		require.NotEqual(t, a, b, "offset %d", off)
	}
}
