package wiring

import (
	"errors"
	"net/http"

	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/observe"
)

// newKubernetes builds the Kubernetes compute backend. It does not contact the cluster (a cluster that is down
// shows in health), but a missing helper image is a configuration error caught at startup.
func newKubernetes(c config.Config, _ map[string]backend.Backend) (backend.Backend, error) {
	k := c.Compute.Kubernetes
	if k.HelperImage == "" {
		return nil, errors.New("compute.kubernetes.helper_image is required: an image with the kamld-job-helper binary (make helper), which fetches inputs and stores outputs inside the runs' Pods")
	}
	cfg, err := kubernetes.RESTConfig(k.Kubeconfig)
	if err != nil {
		return nil, err
	}
	if observe.TracingEnabled() {
		cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return observe.HTTPTransport(rt) })
	}
	return kubernetes.New(cfg, kubernetes.Options{
		Namespace: k.Namespace, HelperImage: k.HelperImage, ServiceAccount: k.ServiceAccount,
		StoreSecret: k.StoreSecret, GPUResource: k.GPUResource,
	})
}
