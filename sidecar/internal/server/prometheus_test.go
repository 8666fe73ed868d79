package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/testserver/proc"
	"github.com/kamld/kamld/sidecar/internal/testserver/prometheus"
)

// TestPrometheusScrapesKamld: a real Prometheus scrapes a running kamld; PromQL over its metrics returns data,
// and GetMetricsSummary's fleet view reads the same from that Prometheus.
func TestPrometheusScrapesKamld(t *testing.T) {
	httpAddr := proc.MustFreeAddr(t)
	prom := prometheus.Start(t, httpAddr)
	s := startSidecar(t, func(c *config.Config) {
		c.HTTPAddr = httpAddr
		c.Observe.PrometheusURL = prom.URL
	})
	runWorkload(t, s)

	var got []prometheus.Sample
	require.Eventually(t, func() bool {
		var err error
		got, err = prom.Query(`sum by (backend) (kamld_backend_operation_duration_seconds_count{namespace="test"})`)
		require.NoError(t, err)
		return len(got) > 0
	}, 30*time.Second, 250*time.Millisecond, "Prometheus never had kamld's backend metrics")
	backends := map[string]bool{}
	for _, g := range got {
		backends[g.Labels["backend"]] = true
	}
	assert.True(t, backends["fs"], "%v", got)

	// The fleet view: rates need two scrapes of the workload, so poll until the RPC count shows.
	sc := kamldv1.NewSystemServiceClient(s.conn)
	var sum *kamldv1.MetricsSummary
	require.Eventually(t, func() bool {
		var err error
		sum, err = sc.GetMetricsSummary(s.authed(), &kamldv1.GetMetricsSummaryRequest{Source: "prometheus", WindowSeconds: 60})
		require.NoError(t, err)
		return sum.GetRpcs().GetCount() > 0 && len(sum.GetBackends()) > 0
	}, 30*time.Second, 500*time.Millisecond, "fleet summary stayed empty")
	assert.Equal(t, "prometheus", sum.GetSource())
	names := map[string]bool{}
	for _, b := range sum.GetBackends() {
		names[b.GetBackend()] = true
	}
	assert.True(t, names["fs"], "%v", sum.GetBackends())
	// The per-minute charts come from range queries on the same one-minute grid as the local window.
	assert.Len(t, sum.GetRpcs().GetMinutes(), 1)
	assert.Len(t, sum.GetBackends()[0].GetCalls().GetMinutes(), 1)
	assert.Len(t, sum.GetStorageUsedHistory(), 1)
	// A counter's first scrape is no increase: keep calling while Prometheus scrapes, until a minute shows calls.
	require.Eventually(t, func() bool {
		wide, err := sc.GetMetricsSummary(s.authed(), &kamldv1.GetMetricsSummaryRequest{Source: "prometheus", WindowSeconds: 600})
		require.NoError(t, err)
		require.Len(t, wide.GetRpcs().GetMinutes(), 10)
		var calls int64
		for _, m := range wide.GetRpcs().GetMinutes() {
			calls += m.GetCount()
		}
		return calls > 0
	}, 30*time.Second, 500*time.Millisecond, "no minute of the fleet's RPC series had calls")
}
