package wiring

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/config"
)

func kubernetesConfig(t *testing.T) config.Config {
	c := config.Default()
	c.DataDir = t.TempDir()
	c.Blob.FS.Dir = filepath.Join(c.DataDir, "store")
	c.Compute.Backend = "kubernetes"
	return c
}

// The Kubernetes backend's configuration errors stop `kamld serve` with a message naming the key.
func TestKubernetesConfigErrors(t *testing.T) {
	c := kubernetesConfig(t)
	_, err := Build(c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "compute.kubernetes.helper_image is required")

	c.Compute.Kubernetes.HelperImage = "kamld:1"
	c.Compute.Kubernetes.Kubeconfig = filepath.Join(t.TempDir(), "missing")
	_, err = Build(c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "compute.kubernetes.kubeconfig")

	c.Compute.Kubernetes.Kubeconfig = ""
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	_, err = Build(c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not running in a cluster")
}
