package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/observe/instrument"
	"github.com/kamld/kamld/sidecar/internal/wiring"
)

// With observe.metrics off, /metrics says so instead of serving series, calls still work, and the backends
// are built without their metrics decorators.
func TestMetricsOff(t *testing.T) {
	s := startSidecar(t, func(c *config.Config) { c.Observe.Metrics = false })
	_, err := kamldv1.NewSystemServiceClient(s.conn).GetInfo(s.authed(), &kamldv1.GetInfoRequest{})
	require.NoError(t, err)
	code, body, _ := s.rest(t, "GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "metrics are off")
	assert.NotContains(t, body, "kamld_rpc_handled_total")

	for _, on := range []bool{false, true} {
		cfg := config.Default()
		cfg.DataDir, cfg.Samples, cfg.Observe.Metrics = t.TempDir(), false, on
		cfg.Blob.FS.Dir = cfg.DataDir + "/store"
		cfg.Index.Bleve.Dir = cfg.DataDir + "/index"
		cfg.Compute.Local.Dir = cfg.DataDir + "/compute"
		ctx, cancel := context.WithCancel(context.Background())
		a, err := wiring.Assemble(ctx, cfg, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		_, wrapped := a.Backends.Get(backend.Blob).(instrument.Unwrapper)
		assert.Equal(t, on, wrapped, "blob store decorated when metrics are %v", on)
		cancel()
		require.NoError(t, a.Close())
	}
}
