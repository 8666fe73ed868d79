package kubetest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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

	"github.com/kamld/kamld/sidecar/internal/testserver/kube"
)

// Cluster is a real API server with admin clients and one registered node, shared by the subtests of a test.
type Cluster struct {
	Server  *kube.Server
	Core    typedcore.CoreV1Interface
	Batch   typedbatch.BatchV1Interface
	rbac    typedrbac.RbacV1Interface
	kubelet *Kubelet
	seq     atomic.Int32
}

// Start starts the control plane (skipping tb when it is not installed, outside CI) and registers the node.
func Start(t testing.TB) *Cluster {
	srv := kube.Start(t)
	c := &Cluster{Server: srv}
	cfg := srv.Config()
	c.Core = typedcore.NewForConfigOrDie(cfg)
	c.Batch = typedbatch.NewForConfigOrDie(cfg)
	c.rbac = typedrbac.NewForConfigOrDie(cfg)
	c.kubelet = StartKubelet(t)
	registerNode(t, c.Core, c.kubelet)
	return c
}

// Namespace creates a fresh namespace with the Helm chart's RBAC (charts/kamld, rendered in RBACFile) and returns it
// with a client configuration for its service account: the backend runs with exactly the documented rights.
func (c *Cluster) Namespace(t testing.TB) (string, *rest.Config) {
	t.Helper()
	ns := fmt.Sprintf("kamld-test-%d", c.seq.Add(1))
	_, err := c.Core.Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	c.applyRBAC(t, ns)
	token, err := c.Server.ServiceAccountToken(t.Context(), ns, ServiceAccount)
	require.NoError(t, err)
	return ns, c.Server.ConfigWithToken(token)
}

// applyRBAC creates the ServiceAccount and RBAC objects of the chart's rendering with ns for their namespace
// (and a per-namespace name for the cluster-scoped binding); the chart's other objects are not its concern.
func (c *Cluster) applyRBAC(t testing.TB, ns string) {
	t.Helper()
	raw, err := os.ReadFile(RBACFile())
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
			_, err = c.Core.ServiceAccounts(ns).Create(ctx, &sa, metav1.CreateOptions{})
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
			continue // Deployment, Service, ConfigMap…: the chart tests apply those
		}
		require.NoError(t, err, meta.Kind)
	}
}

// Driver returns a driver of the runs in ns.
func (c *Cluster) Driver(ns string) *Driver {
	return &Driver{core: c.Core, batch: c.Batch, kubelet: c.kubelet, NS: ns}
}

// ServiceAccount is the account the chart's RBAC binds in RBACFile (release "kamld").
const ServiceAccount = "kamld"

// RBACFile is the golden rendering of the chart's preset with Kubernetes jobs (charts/kamld/ci/shared-values.yaml),
// which the chart tests keep equal to what `helm template` renders: the backend's tests run with exactly the
// rights the chart grants.
func RBACFile() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "..", "..", "..", "charts", "kamld", "tests", "golden", "shared.yaml")
}
