package chart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kamld/kamld/sidecar/internal/testserver/kube"
)

// jupyterHubValues lists the Zero to JupyterHub values files docs/kubernetes.md documents.
func jupyterHubValues(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join(chartDir(), "jupyterhub", "*-values.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// TestJupyterHubValuesMatchSchema renders a chart made of Zero to JupyterHub's own values.yaml and values
// schema (third_party/zero-to-jupyterhub) with each documented values file: helm validates them as
// `helm install jupyterhub/jupyterhub -f …` would, a typo or a wrong type fails.
func TestJupyterHubValuesMatchSchema(t *testing.T) {
	helm := tool(t, "helm")
	src := filepath.Join(repoRoot(), "third_party", "zero-to-jupyterhub")
	stub := t.TempDir()
	schema, err := os.ReadFile(filepath.Join(src, "values.schema.yaml"))
	require.NoError(t, err)
	js, err := yaml.YAMLToJSON(schema)
	require.NoError(t, err)
	values, err := os.ReadFile(filepath.Join(src, "values.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(stub, "values.schema.json"), js, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(stub, "values.yaml"), values, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(stub, "Chart.yaml"), []byte("apiVersion: v2\nname: jupyterhub\nversion: 0.0.1\n"), 0o644))
	for _, f := range jupyterHubValues(t) {
		_, err := run(t, helm, nil, "template", "jupyterhub", stub, "--values", f)
		assert.NoError(t, err, filepath.Base(f))
	}
	// The check has teeth: a misspelt key is refused.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("singleuser:\n  extraContainer: []\n"), 0o644))
	_, err = run(t, helm, nil, "template", "jupyterhub", stub, "--values", bad)
	assert.ErrorContains(t, err, "extraContainer")
}

// TestJupyterHubSidecarPodAccepted builds the user pod KubeSpawner would make from the sidecar values (the
// notebook container with extraEnv and extraVolumeMounts, the extraContainers, the volumes, {username} and
// {user_server} expanded) and has a real kube-apiserver validate it (dry-run create).
func TestJupyterHubSidecarPodAccepted(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(chartDir(), "jupyterhub", "sidecar-values.yaml"))
	require.NoError(t, err)
	raw = []byte(strings.NewReplacer("{username}", "alice", "{user_server}", "alice").Replace(string(raw)))
	var v struct {
		Singleuser struct {
			Image           struct{ Name, Tag string }
			ExtraEnv        map[string]string  `json:"extraEnv"`
			ExtraContainers []corev1.Container `json:"extraContainers"`
			Storage         struct {
				ExtraVolumes      []corev1.Volume      `json:"extraVolumes"`
				ExtraVolumeMounts []corev1.VolumeMount `json:"extraVolumeMounts"`
			}
		}
	}
	require.NoError(t, yaml.UnmarshalStrict(raw, &v))
	su := v.Singleuser
	notebook := corev1.Container{Name: "notebook", Image: su.Image.Name + ":" + su.Image.Tag,
		VolumeMounts: append([]corev1.VolumeMount{{Name: "volume-alice", MountPath: "/home/jovyan"}}, su.Storage.ExtraVolumeMounts...)}
	for k, val := range su.ExtraEnv {
		notebook.Env = append(notebook.Env, corev1.EnvVar{Name: k, Value: val})
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "jupyter-alice"},
		Spec: corev1.PodSpec{
			Containers: append([]corev1.Container{notebook}, su.ExtraContainers...),
			Volumes: append([]corev1.Volume{{Name: "volume-alice", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "claim-alice"}}}}, su.Storage.ExtraVolumes...),
		},
	}
	srv := kube.Start(t)
	core := kubernetes.NewForConfigOrDie(srv.Config()).CoreV1()
	_, err = core.Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "jhub"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = core.Pods("jhub").Create(t.Context(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	require.NoError(t, err)
}

// TestDocsShowTheTestedValues keeps docs/kubernetes.md quoting exactly the values files these tests check.
func TestDocsShowTheTestedValues(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot(), "docs", "kubernetes.md"))
	require.NoError(t, err)
	for _, f := range append(jupyterHubValues(t), presets(t)...) {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Contains(t, string(doc), string(b), "docs/kubernetes.md must quote %s verbatim", f)
	}
}
