package kubernetes_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"

	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/computetest"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/kubetest"
)

func newBackend(t testing.TB, cfg *rest.Config, ns string) *kubernetes.Backend {
	t.Helper()
	b, err := kubernetes.New(cfg, kubernetes.Options{Namespace: ns, HelperImage: "kamld:test", StoreSecret: "kamld-store"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// TestConformance runs the compute suite against a real kube-apiserver, as the service account of the
// documented RBAC, with the test playing the controllers and the kubelet.
func TestConformance(t *testing.T) {
	c := kubetest.Start(t)
	d := c.Driver("")
	computetest.Run(t, computetest.Harness{
		New: func(t *testing.T, _ compute.Data) (compute.Backend, func() compute.Backend) {
			ns, cfg := c.Namespace(t)
			d.NS = ns
			return newBackend(t, cfg, ns), func() compute.Backend { return newBackend(t, cfg, ns) }
		},
		Driver: d,
		Image:  "busybox:1.36",
	})
}
