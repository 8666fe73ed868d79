package local_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/computetest"
	"github.com/kamld/kamld/sidecar/internal/compute/local"
)

// TestMain lets the test binary be a run's supervisor, as the kamld binary is in production.
func TestMain(m *testing.M) {
	local.MaybeSupervise()
	os.Exit(m.Run())
}

func TestConformance(t *testing.T) {
	computetest.Run(t, computetest.Harness{
		New: func(t *testing.T, data compute.Data) (compute.Backend, func() compute.Backend) {
			dir := t.TempDir()
			open := func() compute.Backend {
				b, err := local.New(dir, data)
				require.NoError(t, err)
				t.Cleanup(func() { _ = b.Close() })
				return b
			}
			return open(), open
		},
	})
}
