package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/kubetest"
	"github.com/kamld/kamld/sidecar/internal/config"
)

// TestJobsOnKubernetes_GRPCAndREST runs JobService on the Kubernetes backend against a real kube-apiserver,
// the test playing the Job controller, the scheduler and the kubelet: a job goes QUEUED → PENDING → RUNNING
// → SUCCEEDED with lineage, and another, unschedulable in PENDING, is cancelled.
func TestJobsOnKubernetes_GRPCAndREST(t *testing.T) {
	c, ns, s, d := startOnKubernetes(t)

	code, body, _ := s.rest(t, "GET", "/v1/flavors", "", s.bearer())
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"available":true`, "the registered node offers containers")

	code, body, _ = s.rest(t, "POST", "/v1/jobs", submitJSON(trainPy), s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	var submitted struct{ Name, Image, Backend string }
	require.NoError(t, json.Unmarshal([]byte(body), &submitted))
	assert.Equal(t, "python:3.11-slim", submitted.Image, "the container image of the flavor, not the local environment")
	assert.Equal(t, "kubernetes", submitted.Backend)
	run := compute.RunID{Job: strings.TrimPrefix(submitted.Name, "jobs/"), Attempt: 1}

	j := waitJob(t, s, submitted.Name, kamldv1.JobState_JOB_STATE_PENDING)
	job := d.Job(t, run)
	assert.Equal(t, "python:3.11-slim", job.Spec.Template.Spec.Containers[0].Image)
	manifest := job.Spec.Template.Annotations[kubernetes.AnnotationManifest]
	assert.Contains(t, manifest, strings.TrimPrefix(j.Inputs[0].Snapshot, "datasets/iris/snapshots/"), "the input is fixed to its snapshot")

	d.Schedule(t, run)
	waitJob(t, s, submitted.Name, kamldv1.JobState_JOB_STATE_RUNNING)
	d.Log(t, run, "rows 2\n")
	d.Exit(t, run, 0)
	j = waitJob(t, s, submitted.Name, kamldv1.JobState_JOB_STATE_SUCCEEDED)
	require.Len(t, j.OutputSnapshots, 1)
	snap, err := kamldv1.NewSnapshotServiceClient(s.conn).GetSnapshot(s.authed(), &kamldv1.GetSnapshotRequest{Name: j.OutputSnapshots[0]})
	require.NoError(t, err)
	assert.Equal(t, j.Name, snap.Lineage.Job)
	assert.Equal(t, "python:3.11-slim", snap.Lineage.Image)
	// The Pod's log, read through the API server, archived with the job.
	code, body, _ = s.rest(t, "GET", "/v1/"+j.Name+"/logs", "", s.bearer())
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"text":"rows 2\n"`)

	// Stuck in PENDING (unschedulable), then cancelled over gRPC.
	stuck, err := kamldv1.NewJobServiceClient(s.conn).SubmitJob(s.authed(), &kamldv1.SubmitJobRequest{JobId: "stuck", Job: &kamldv1.Job{
		Flavor: "cpu", Command: []string{"sleep", "600"}, Resources: &kamldv1.Resources{Gpu: 16},
	}})
	require.NoError(t, err)
	stuckRun := compute.RunID{Job: "stuck", Attempt: 1}
	waitJob(t, s, stuck.Name, kamldv1.JobState_JOB_STATE_PENDING)
	d.Unschedulable(t, stuckRun)
	require.Eventually(t, func() bool {
		got, err := kamldv1.NewJobServiceClient(s.conn).GetJob(s.authed(), &kamldv1.GetJobRequest{Name: stuck.Name})
		require.NoError(t, err)
		last := got.Events[len(got.Events)-1]
		return last.State == kamldv1.JobState_JOB_STATE_PENDING && last.Reason == compute.ReasonUnschedulable
	}, time.Minute, 25*time.Millisecond, "PENDING says Unschedulable, from the Pod's condition")
	code, body, _ = s.rest(t, "POST", "/v1/"+stuck.Name+":cancel", `{"reason":"no GPUs today"}`, s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	waitJob(t, s, stuck.Name, kamldv1.JobState_JOB_STATE_CANCELLED)
	// Once the job domain has archived the log it forgets the run: the Job is deleted with propagation.
	require.Eventually(t, func() bool {
		_, err := c.Batch.Jobs(ns).Get(t.Context(), kubernetes.JobName(stuckRun), metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	}, time.Minute, 50*time.Millisecond)
}

// startOnKubernetes starts a sidecar whose jobs run on a real kube-apiserver, in a namespace of their own, with
// iris@v1 seeded; d plays the cluster's controllers.
func startOnKubernetes(t *testing.T) (*kubetest.Cluster, string, *sidecar, *kubetest.Driver) {
	c := kubetest.Start(t)
	ns, _ := c.Namespace(t)
	s := startSidecar(t, func(cfg *config.Config) {
		cfg.Compute.Backend = "kubernetes"
		cfg.Compute.Kubernetes.Kubeconfig = c.Server.Kubeconfig
		cfg.Compute.Kubernetes.Namespace = ns
		cfg.Compute.Kubernetes.HelperImage = "kamld:test"
	})
	seedIris(t, s)
	return c, ns, s, c.Driver(ns)
}

// TestJobsOnKubernetes_Outage: with the API server down, SubmitJob answers UNAVAILABLE (gRPC) and 503 (REST);
// the client's retry with the same job_id after the restart makes exactly one Job.
func TestJobsOnKubernetes_Outage(t *testing.T) {
	c := kubetest.Start(t)
	ns, _ := c.Namespace(t)
	s := startSidecar(t, func(cfg *config.Config) {
		cfg.Compute.Backend = "kubernetes"
		cfg.Compute.Kubernetes.Kubeconfig = c.Server.Kubeconfig
		cfg.Compute.Kubernetes.Namespace = ns
		cfg.Compute.Kubernetes.HelperImage = "kamld:test"
	})
	jobs := kamldv1.NewJobServiceClient(s.conn)
	req := &kamldv1.SubmitJobRequest{JobId: "retried", Job: &kamldv1.Job{Flavor: "cpu", Command: []string{"true"}}}

	c.Server.StopAPIServer()
	_, err := jobs.SubmitJob(s.authed(), req)
	assert.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	code, body, _ := s.rest(t, "POST", "/v1/jobs?jobId=retried", `{"flavor":"cpu","command":["true"]}`, s.bearer())
	assert.Equal(t, http.StatusServiceUnavailable, code, body)

	c.Server.RestartAPIServer()
	var j *kamldv1.Job
	require.Eventually(t, func() bool {
		j, err = jobs.SubmitJob(s.authed(), req)
		return err == nil
	}, time.Minute, 100*time.Millisecond, "the retry succeeds once the API server is back")
	_, err = jobs.SubmitJob(s.authed(), req)
	require.NoError(t, err, "submitting the same job_id again returns the existing job")
	waitJob(t, s, j.Name, kamldv1.JobState_JOB_STATE_PENDING)
	list, err := c.Batch.Jobs(ns).List(t.Context(), metav1.ListOptions{LabelSelector: kubernetes.LabelJob + "=retried"})
	require.NoError(t, err)
	assert.Len(t, list.Items, 1, "exactly one Job")
}
