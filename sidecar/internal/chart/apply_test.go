package chart

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/kamld/kamld/sidecar/internal/testserver/kube"
)

// TestServerSideApply applies every object of every preset to a real kube-apiserver with server-side apply:
// the API server's own validation (field names, types, references between fields) accepts them. Kinds the
// server does not serve (ServiceMonitor: a Prometheus Operator CRD) are reported and skipped.
func TestServerSideApply(t *testing.T) {
	files := presets(t)
	srv := kube.Start(t)
	cfg := srv.Config()
	dyn := dynamic.NewForConfigOrDie(cfg)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(cfg)))
	core := kubernetes.NewForConfigOrDie(cfg).CoreV1()
	for _, ns := range []string{namespace, "kamld-jobs"} {
		_, err := core.Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	for _, p := range files {
		manifest, err := render(t, []string{p})
		require.NoError(t, err)
		for _, obj := range splitObjects(t, manifest) {
			gvk := obj.GroupVersionKind()
			m, err := mapper.RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}, gvk.Version)
			if err != nil {
				t.Logf("%s: %s %s not served by this API server, skipped: %v", presetName(p), gvk.Kind, obj.GetName(), err)
				continue
			}
			res := dyn.Resource(m.Resource)
			var ri dynamic.ResourceInterface = res
			if m.Scope.Name() == "namespace" {
				ns := obj.GetNamespace()
				if ns == "" {
					ns = namespace // helm install puts unqualified objects in the release namespace
				}
				ri = res.Namespace(ns)
			}
			_, err = ri.Apply(t.Context(), obj.GetName(), obj, metav1.ApplyOptions{FieldManager: "helm", Force: true})
			require.NoError(t, err, "%s: %s %s", presetName(p), gvk.Kind, obj.GetName())
		}
	}
}

// splitObjects parses a multi-document manifest into objects, dropping empty documents.
func splitObjects(t *testing.T, manifest []byte) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, doc := range bytes.Split(manifest, []byte("\n---")) {
		var m map[string]any
		require.NoError(t, yaml.Unmarshal(doc, &m))
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out
}
