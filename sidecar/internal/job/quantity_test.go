package job

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseQuantity(t *testing.T) {
	for _, c := range []struct {
		in    string
		scale int64
		want  int64
	}{
		{"500m", 1000, 500}, {"2", 1000, 2000}, {"0.5", 1000, 500}, {"1.5", 1000, 1500}, {".1", 1000, 100},
		{"1Gi", 1, 1 << 30}, {"512Mi", 1, 512 << 20}, {"1G", 1, 1e9}, {"1k", 1, 1000}, {"1m", 1, 1}, {"4Ti", 1, 4 << 40},
	} {
		got, err := ParseQuantity(c.in, c.scale)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
	for _, bad := range []string{"", "-1", "1e3", "1 Gi", "Gi", "1.", "1GiB", "abc", "999999999999999999999999Ei", "1;rm"} {
		_, err := ParseQuantity(bad, 1)
		assert.Error(t, err, bad)
	}
}

func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"500m", "1Gi", "0.5", "1e3", "99999999999999Ei", ".5Ki"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseQuantity(s, 1000)
		if err == nil && n < 0 {
			t.Fatalf("%q parsed to a negative %d", s, n)
		}
	})
}
