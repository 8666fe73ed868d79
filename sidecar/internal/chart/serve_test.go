package chart

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/testserver/elasticsearch"
	"github.com/kamld/kamld/sidecar/internal/testserver/kube"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
	"github.com/kamld/kamld/sidecar/internal/testserver/proc"
	trinoserver "github.com/kamld/kamld/sidecar/internal/testserver/trino"
)

// TestSharedPresetServes proves that the chart's configuration is kamld's: the ConfigMap and the container
// environment that the shared preset (MinIO + Elasticsearch + Trino + Kubernetes jobs) renders, with only the
// servers' addresses set to real test servers, start a real `kamld serve` that becomes ready with every
// backend SERVING. The test does what the kubelet would: mounts the ConfigMap's file, resolves secretKeyRef
// variables from the Secrets the preset names, and runs the container's args.
func TestSharedPresetServes(t *testing.T) {
	if _, _, err := trinoserver.Installation(); err != nil {
		proc.SkipOrFail(t, err) // before starting the others for nothing
	}
	bin := kamldBinary(t)
	kc := kube.Start(t) // first: it skips fastest when not installed
	var es esResult
	esDone := make(chan struct{})
	go func() { es.s, es.stop, es.err = elasticsearch.StartMain(); close(esDone) }() // slow: in parallel
	t.Cleanup(func() {
		<-esDone // a skip or failure below must still stop it
		if es.stop != nil {
			es.stop()
		}
	})
	m := minio.Start(t)
	createNamespace(t, kc, "kamld-jobs")
	bucket(t, m, "trino-metastore")
	tr := trinoserver.Start(t, trinoserver.HiveOnS3("kamld", m.Endpoint, m.AccessKey, m.SecretKey, "s3://trino-metastore/catalog"))
	<-esDone
	if errors.Is(es.err, elasticsearch.ErrNotInstalled) {
		t.Skip(es.err)
	}
	require.NoError(t, es.err)

	grpcAddr, httpAddr := proc.MustFreeAddr(t), proc.MustFreeAddr(t)
	manifest, err := render(t, []string{filepath.Join(chartDir(), "ci", "shared-values.yaml")},
		"config.blob.s3.endpoint="+m.Endpoint,
		"config.index.elasticsearch.urls={"+es.s.URL()+"}",
		"config.sql.trino.url="+tr.URL,
		"config.compute.kubernetes.kubeconfig="+kc.Kubeconfig, // in a cluster: the pod's service account
		"ports.grpc="+port(grpcAddr), "ports.http="+port(httpAddr))
	require.NoError(t, err)
	cm, dep := configAndDeployment(t, manifest)
	c := dep.Spec.Template.Spec.Containers[0]

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(cm.Data["config.yaml"]), 0o600))
	secrets := map[string]map[string]string{
		"kamld-token":         {"token": "chart-test-token-0123456789"},
		"kamld-minio":         {"accessKey": m.AccessKey, "secretKey": m.SecretKey},
		"kamld-elasticsearch": {"username": "elastic", "password": "unused-security-is-off"},
	}
	env := containerEnv(t, c, secrets)
	// What the kubelet's mounts change: the config file's path, the data volume, and the loopback-only bind a
	// test keeps to (the pod binds 0.0.0.0 on the same ports).
	args := replaceArg(c.Args, "/etc/kamld/config.yaml", cfgFile)
	env = append(env, "KAMLD_DATA_DIR="+filepath.Join(dir, "data"), "TMPDIR="+dir, "HOME="+dir,
		"KAMLD_GRPC_ADDR="+grpcAddr, "KAMLD_HTTP_ADDR="+httpAddr)

	cmd := exec.Command(bin, args...)
	cmd.Env = env
	p, err := proc.Start("kamld", cmd)
	require.NoError(t, err)
	t.Cleanup(func() { p.Stop(10 * time.Second) })
	ready := "http://" + httpAddr + c.ReadinessProbe.HTTPGet.Path
	err = p.WaitReady(t.Context(), 90*time.Second, 200*time.Millisecond, func(ctx context.Context) bool {
		return proc.HTTPStatus(ctx, http.DefaultClient, ready) == http.StatusOK
	})
	require.NoError(t, err, "kamld did not become ready at %s", ready)

	info := systemInfo(t, "http://"+httpAddr, secrets["kamld-token"]["token"])
	assert.Equal(t, "HEALTH_SERVING", info.Health)
	got := map[string]string{}
	for _, b := range info.Backends {
		assert.Equal(t, "HEALTH_SERVING", b.Health, "%s (%s): %s", b.Capability, b.Backend, b.Message)
		got[b.Capability] = b.Backend
	}
	assert.Subset(t, values(got), []string{"s3", "elasticsearch", "trino", "kubernetes"}, "backends: %v", got)
}

type esResult struct {
	s    *elasticsearch.Server
	stop func()
	err  error
}

// kamldBinary is $KAMLD_BINARY (make test-chart builds it), else a fresh build.
func kamldBinary(t *testing.T) string {
	if b := os.Getenv("KAMLD_BINARY"); b != "" {
		return b
	}
	out := filepath.Join(t.TempDir(), "kamld")
	cmd := exec.Command("go", "build", "-o", out, "./sidecar/cmd/kamld")
	cmd.Dir = repoRoot()
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	return out
}

func createNamespace(t *testing.T, kc *kube.Server, name string) {
	_, err := kubernetes.NewForConfigOrDie(kc.Config()).CoreV1().Namespaces().Create(t.Context(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// bucket creates a bucket on m (s3.New creates the bucket it is given).
func bucket(t *testing.T, m *minio.Server, name string) {
	st, err := s3.New(t.Context(), s3.Config{Endpoint: m.Endpoint, Region: "us-east-1", Bucket: name, AccessKey: m.AccessKey, SecretKey: m.SecretKey})
	require.NoError(t, err)
	require.NoError(t, st.Close())
}

func port(addr string) string { return addr[strings.LastIndex(addr, ":")+1:] }

// configAndDeployment picks the ConfigMap and the Deployment out of a rendering.
func configAndDeployment(t *testing.T, manifest []byte) (*corev1.ConfigMap, *appsv1.Deployment) {
	var cm *corev1.ConfigMap
	var dep *appsv1.Deployment
	for _, obj := range splitObjects(t, manifest) {
		switch obj.GetKind() {
		case "ConfigMap":
			cm = &corev1.ConfigMap{}
			require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, cm))
		case "Deployment":
			dep = &appsv1.Deployment{}
			require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, dep))
		}
	}
	require.NotNil(t, cm, "no ConfigMap rendered")
	require.NotNil(t, dep, "no Deployment rendered")
	return cm, dep
}

// containerEnv resolves the container's variables as the kubelet would, with secrets standing in for the
// cluster's Secrets; a reference to any other Secret or key fails the test. PATH is kept so the binary runs.
func containerEnv(t *testing.T, c corev1.Container, secrets map[string]map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env = append(env, e.Name+"="+e.Value)
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			v, ok := secrets[ref.Name][ref.Key]
			require.True(t, ok, "%s refers to Secret %s key %s, which the preset does not name", e.Name, ref.Name, ref.Key)
			env = append(env, e.Name+"="+v)
		default:
			t.Fatalf("%s: unsupported valueFrom", e.Name)
		}
	}
	return env
}

func replaceArg(args []string, old, repl string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, old, repl)
	}
	return out
}

type info struct {
	Health   string `json:"health"`
	Backends []struct {
		Capability, Backend, Health, Message string
	} `json:"backends"`
}

func systemInfo(t *testing.T, base, token string) info {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/v1/system/info", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var i info
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&i))
	return i
}

func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
