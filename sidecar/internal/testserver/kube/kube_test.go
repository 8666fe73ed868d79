package kube_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	typedcore "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kamld/kamld/sidecar/internal/testserver/kube"
)

// TestControlPlane starts etcd and kube-apiserver, writes through the admin config and the kubeconfig, stops
// the API server (requests fail), restarts it (the data is still there) and authenticates a service account.
func TestControlPlane(t *testing.T) {
	s := kube.Start(t)
	ctx := context.Background()

	core, err := typedcore.NewForConfig(s.Config())
	require.NoError(t, err)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "harness"}}
	_, err = core.Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	require.NoError(t, err)

	fromFile, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	require.NoError(t, err)
	coreFromFile, err := typedcore.NewForConfig(fromFile)
	require.NoError(t, err)
	got, err := coreFromFile.Namespaces().Get(ctx, "harness", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "harness", got.Name)

	s.StopAPIServer()
	_, err = core.Namespaces().Get(ctx, "harness", metav1.GetOptions{})
	require.Error(t, err, "the API server is stopped")
	s.RestartAPIServer()
	_, err = core.Namespaces().Get(ctx, "harness", metav1.GetOptions{})
	require.NoError(t, err, "etcd kept the namespace across the API server's restart")

	// A service account's token, issued by the TokenRequest API, authenticates; RBAC then denies what no Role
	// grants it.
	_, err = core.ServiceAccounts("harness").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	token, err := s.ServiceAccountToken(ctx, "harness", "robot")
	require.NoError(t, err)
	robot, err := typedcore.NewForConfig(s.ConfigWithToken(token))
	require.NoError(t, err)
	_, err = robot.Pods("harness").List(ctx, metav1.ListOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"system:serviceaccount:harness:robot" cannot list resource "pods"`)
}
