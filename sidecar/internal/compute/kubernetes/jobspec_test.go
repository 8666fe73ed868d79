package kubernetes

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/podhelper"
)

func testBackend(t *testing.T) *Backend {
	b, err := New(&rest.Config{Host: "https://127.0.0.1:1"}, Options{Namespace: "ns", HelperImage: "kamld:1", StoreSecret: "store", ServiceAccount: "runner"})
	require.NoError(t, err)
	return b
}

func TestJobNameIsADeterministicDNSLabel(t *testing.T) {
	assert.Equal(t, "kamld-train-3", JobName(compute.RunID{Job: "train", Attempt: 3}))
	long := compute.RunID{Job: strings.Repeat("a", 63), Attempt: 10}
	name := JobName(long)
	assert.Empty(t, validation.IsDNS1123Label(name), name)
	assert.Equal(t, name, JobName(long), "the same run always has the same name, so a retried create collides")
	other := JobName(compute.RunID{Job: strings.Repeat("a", 62) + "b", Attempt: 10})
	assert.NotEqual(t, name, other, "job ids sharing a long prefix get different names")
}

func TestJobForMapsTheSpec(t *testing.T) {
	b := testBackend(t)
	spec := compute.Spec{
		Run: compute.RunID{Job: "train", Attempt: 2}, Image: "python:3.12",
		Command:      []string{"python", "train.py", "--lr", "0.1; rm -rf /"},
		Env:          map[string]string{"B": "2", "A": "1"},
		Files:        []compute.File{{Path: "train.py", Content: []byte("print(1)\n")}},
		Inputs:       []compute.Input{{Dataset: "iris", Snapshot: "abc", Path: "data"}},
		Outputs:      []compute.Output{{Path: "out", Dataset: "model"}},
		Resources:    compute.Resources{MilliCPU: 1500, MemoryBytes: 2 << 30, GPUs: 1},
		NodeSelector: map[string]string{"pool": "gpu"}, Timeout: 90*time.Second + time.Millisecond,
		Labels: map[string]string{"team": "vision"},
	}
	job, err := b.jobFor(spec)
	require.NoError(t, err)
	assert.Equal(t, "kamld-train-2", job.Name)
	assert.Equal(t, map[string]string{"team": "vision", LabelManagedBy: "kamld", LabelJob: "train", LabelAttempt: "2"}, job.Labels)
	assert.Equal(t, int32(0), *job.Spec.BackoffLimit, "retries are attempts of the job domain, not of the Job")
	assert.Equal(t, int64(91), *job.Spec.ActiveDeadlineSeconds)

	pod := job.Spec.Template.Spec
	assert.Equal(t, corev1.RestartPolicyNever, pod.RestartPolicy)
	assert.Equal(t, "runner", pod.ServiceAccountName)
	assert.Equal(t, map[string]string{"pool": "gpu"}, pod.NodeSelector)
	require.Len(t, pod.InitContainers, 1)
	assert.Equal(t, "kamld:1", pod.InitContainers[0].Image)
	assert.Equal(t, "store", pod.InitContainers[0].EnvFrom[0].SecretRef.Name)
	assert.Equal(t, []string{"kamld-job-helper", "fetch", "--manifest", "/kamld/spec/manifest.json", "--workdir", "/work",
		"--install", "/kamld/bin/kamld-job-helper"}, pod.InitContainers[0].Command, "the static helper copies itself for the run container")
	require.Len(t, pod.Containers, 1)
	run := pod.Containers[0]
	assert.Equal(t, "python:3.12", run.Image)
	assert.Equal(t, []string{"/kamld/bin/kamld-job-helper", "run", "--manifest", "/kamld/spec/manifest.json", "--workdir", "/work", "--",
		"python", "train.py", "--lr", "0.1; rm -rf /"}, run.Command, "the command is an argv, never a shell line")
	assert.Empty(t, run.Args)
	assert.Equal(t, []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}, {Name: "KAMLD_JOB", Value: "train"},
		{Name: "KAMLD_ATTEMPT", Value: "2"}, {Name: "KAMLD_WORKDIR", Value: "/work"}}, run.Env)
	assert.Equal(t, "1500m", run.Resources.Requests.Cpu().String())
	assert.Equal(t, "2Gi", run.Resources.Requests.Memory().String())
	assert.Equal(t, "2Gi", run.Resources.Limits.Memory().String())
	assert.True(t, run.Resources.Limits.Cpu().IsZero(), "CPU is requested, not capped")
	assert.Equal(t, "1", run.Resources.Limits.Name("nvidia.com/gpu", "").String())

	var m podhelper.Manifest
	require.NoError(t, json.Unmarshal([]byte(job.Spec.Template.Annotations[AnnotationManifest]), &m))
	assert.Equal(t, podhelper.Manifest{Run: spec.Run, Files: spec.Files, Inputs: spec.Inputs, Outputs: spec.Outputs}, m)
}

func TestJobForRejects(t *testing.T) {
	b := testBackend(t)
	spec := compute.Spec{Run: compute.RunID{Job: "j", Attempt: 1}, Image: "busybox", Command: []string{"true"}}

	bad := spec
	bad.Labels = map[string]string{"bad key!": "v"}
	_, err := b.jobFor(bad)
	assert.Equal(t, "InvalidArgument", apierr.Code(err).String())

	bad = spec
	bad.Command = nil
	_, err = b.jobFor(bad)
	assert.Equal(t, "InvalidArgument", apierr.Code(err).String())

	noHelper, err := New(&rest.Config{Host: "https://127.0.0.1:1"}, Options{})
	require.NoError(t, err)
	_, err = noHelper.jobFor(spec)
	assert.ErrorIs(t, err, apierr.ErrFailedPrecondition)
}
