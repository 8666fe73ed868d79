package kubernetes_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	typedbatch "k8s.io/client-go/kubernetes/typed/batch/v1"
	typedcore "k8s.io/client-go/kubernetes/typed/core/v1"
	typedrbac "k8s.io/client-go/kubernetes/typed/rbac/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/computetest"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes"
	"github.com/kamld/kamld/sidecar/internal/testserver/kube"
)

// cluster is a real API server with admin clients, shared by the subtests of one test.
type cluster struct {
	srv   *kube.Server
	core  typedcore.CoreV1Interface
	batch typedbatch.BatchV1Interface
	rbac  typedrbac.RbacV1Interface
	seq   atomic.Int32
}

func startCluster(t testing.TB) *cluster {
	srv := kube.Start(t)
	c := &cluster{srv: srv}
	cfg := srv.Config()
	c.core = typedcore.NewForConfigOrDie(cfg)
	c.batch = typedbatch.NewForConfigOrDie(cfg)
	c.rbac = typedrbac.NewForConfigOrDie(cfg)
	registerNode(t, c.core)
	return c
}

// namespace creates a fresh namespace with the documented RBAC (deploy/kubernetes/rbac.yaml) and returns it
// with a client configuration for its service account: the backend runs with exactly the documented rights.
func (c *cluster) namespace(t testing.TB) (string, *rest.Config) {
	t.Helper()
	ns := fmt.Sprintf("kamld-test-%d", c.seq.Add(1))
	_, err := c.core.Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	c.applyRBAC(t, ns)
	token, err := c.srv.ServiceAccountToken(t.Context(), ns, "kamld")
	require.NoError(t, err)
	return ns, c.srv.ConfigWithToken(token)
}

// applyRBAC creates the objects of deploy/kubernetes/rbac.yaml with ns for their namespace (and a
// per-namespace name for the cluster-scoped binding).
func (c *cluster) applyRBAC(t testing.TB, ns string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "deploy", "kubernetes", "rbac.yaml"))
	require.NoError(t, err)
	ctx := t.Context()
	for _, doc := range bytes.Split(raw, []byte("\n---\n")) {
		var meta metav1.TypeMeta
		require.NoError(t, yaml.Unmarshal(doc, &meta))
		switch meta.Kind {
		case "ServiceAccount":
			var sa corev1.ServiceAccount
			require.NoError(t, yaml.Unmarshal(doc, &sa))
			sa.Namespace = ns
			_, err = c.core.ServiceAccounts(ns).Create(ctx, &sa, metav1.CreateOptions{})
		case "Role":
			var r rbacv1.Role
			require.NoError(t, yaml.Unmarshal(doc, &r))
			r.Namespace = ns
			_, err = c.rbac.Roles(ns).Create(ctx, &r, metav1.CreateOptions{})
		case "RoleBinding":
			var rb rbacv1.RoleBinding
			require.NoError(t, yaml.Unmarshal(doc, &rb))
			rb.Namespace, rb.Subjects[0].Namespace = ns, ns
			_, err = c.rbac.RoleBindings(ns).Create(ctx, &rb, metav1.CreateOptions{})
		case "ClusterRole":
			var cr rbacv1.ClusterRole
			require.NoError(t, yaml.Unmarshal(doc, &cr))
			_, err = c.rbac.ClusterRoles().Create(ctx, &cr, metav1.CreateOptions{})
			if err != nil && c.seq.Load() > 1 {
				err = nil // created for the first namespace
			}
		case "ClusterRoleBinding":
			var crb rbacv1.ClusterRoleBinding
			require.NoError(t, yaml.Unmarshal(doc, &crb))
			crb.Name, crb.Subjects[0].Namespace = crb.Name+"-"+ns, ns
			_, err = c.rbac.ClusterRoleBindings().Create(ctx, &crb, metav1.CreateOptions{})
		default:
			t.Fatalf("rbac.yaml: unexpected kind %q", meta.Kind)
		}
		require.NoError(t, err, meta.Kind)
	}
}

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
	c := startCluster(t)
	d := &driver{core: c.core, batch: c.batch}
	computetest.Run(t, computetest.Harness{
		New: func(t *testing.T, _ compute.Data) (compute.Backend, func() compute.Backend) {
			ns, cfg := c.namespace(t)
			d.ns = ns
			return newBackend(t, cfg, ns), func() compute.Backend { return newBackend(t, cfg, ns) }
		},
		Driver: d,
		Image:  "busybox:1.36",
	})
}
