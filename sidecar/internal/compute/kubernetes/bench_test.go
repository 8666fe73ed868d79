package kubernetes_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/kubetest"
)

// submits is how many runs each benchmark iteration submits.
const submits = 100

// BenchmarkSubmit measures Start (a batch/v1 Job created and acknowledged by the API server, which has stored
// it in etcd) against the local control plane, as the service account of the documented RBAC, and reports
// p50 and p99 over 100 submits, plus the control plane's time to ready.
func BenchmarkSubmit(b *testing.B) {
	began := time.Now()
	c := kubetest.Start(b)
	ready := time.Since(began)
	ns, cfg := c.Namespace(b)
	backend := newBackend(b, cfg, ns)
	ctx := b.Context()
	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		for j := range submits {
			spec := compute.Spec{Run: compute.RunID{Job: fmt.Sprintf("bench-%d-%d", i, j), Attempt: 1}, Image: "busybox:1.36", Command: []string{"true"}}
			start := time.Now()
			require.NoError(b, backend.Start(ctx, spec))
			lat = append(lat, time.Since(start))
		}
	}
	b.StopTimer()
	list, err := c.Batch.Jobs(ns).List(ctx, metav1.ListOptions{})
	require.NoError(b, err)
	require.Len(b, list.Items, b.N*submits, "every submit made exactly one Job")
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(ms(ready), "control-plane-ready-ms")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
