// Package kubernetes runs jobs' attempts as batch/v1 Jobs: one Job per run, named and labelled by the run, so a
// create retried after a lost answer finds the Job it already made instead of making a second one. The Pod
// runs the helper binary twice (cmd/kamld-job-helper, statically linked so that it runs in any image): an init
// container (the helper image) fetches the working files and input snapshots into an emptyDir and copies the
// helper beside them; the user's image then runs that copy as a wrapper, which executes the command without a
// shell and, when it exits 0, stores the outputs.
//
// Everything the backend knows comes from the API server (the Job, its Pods, the nodes), so a restarted
// sidecar, or another one, sees the same runs. The client is client-go's REST client over batch/v1 and
// core/v1 only (client.go), which keeps the sidecar binary lean.
package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
)

// Name is the backend's configured name.
const Name = "kubernetes"

// Options configure the backend; zero values take the defaults documented on each field.
type Options struct {
	// Namespace holds the Jobs; "default" when empty.
	Namespace string
	// HelperImage is an image with the statically linked kamld-job-helper binary (cmd/kamld-job-helper, `make
	// helper`) on PATH; its init container fetches inputs and copies the binary for the run container, which
	// runs it from the user's image. Required to start runs.
	HelperImage string
	// ServiceAccount runs the Pods; the namespace's default when empty.
	ServiceAccount string
	// StoreSecret names a Secret of KAMLD_BLOB_* variables (the object store's configuration) given to the
	// helper, so it can read inputs and write outputs. Without it the helper reads nothing and stores nothing,
	// so runs with inputs or outputs fail with InputsFailed/OutputsFailed.
	StoreSecret string
	// GPUResource is the extended resource requested for GPUs; "nvidia.com/gpu" when empty.
	GPUResource string
	// Logger receives warnings; slog.Default() when nil.
	Logger *slog.Logger
}

// Backend is the Kubernetes compute backend.
type Backend struct {
	opts Options
	host string
	api  *client
}

var _ compute.Backend = (*Backend)(nil)

// New returns a backend talking to the API server of cfg. It does not contact the server: a cluster that is
// down at startup shows up in Health, not as a failure to start.
func New(cfg *rest.Config, opts Options) (*Backend, error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.GPUResource == "" {
		opts.GPUResource = "nvidia.com/gpu"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.UserAgent == "" {
		cfg.UserAgent = "kamld"
	}
	// client-go's default of 5 requests/s (burst 10) would throttle status polling of a few dozen runs and
	// made each submit wait 200 ms in the benchmark; the API server's own priority and fairness protects it.
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	// Bounded calls: an API server that accepts connections but does not answer must not hang an RPC.
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	api, err := newClient(cfg, opts.Namespace)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &Backend{opts: opts, host: cfg.Host, api: api}, nil
}

// RESTConfig loads the client configuration from a kubeconfig file, or from the Pod's service account when
// kubeconfig is empty (in-cluster).
func RESTConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("no compute.kubernetes.kubeconfig and not running in a cluster: %w", err)
		}
		return cfg, nil
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("compute.kubernetes.kubeconfig %s: %w", kubeconfig, err)
	}
	return cfg, nil
}

// Name implements backend.Backend.
func (b *Backend) Name() string { return Name }

// Location is the API server's URL and the namespace, never with credentials.
func (b *Backend) Location() string {
	u, err := url.Parse(b.host)
	if err != nil {
		return "namespace " + b.opts.Namespace
	}
	u.User = nil
	return u.String() + " namespace " + b.opts.Namespace
}

// Instance names the cluster and namespace.
func (b *Backend) Instance() string { return "kubernetes:" + b.Location() }

// Health lists the namespace's Jobs (at most one): it needs the API server up and the permission the backend
// uses most.
func (b *Backend) Health(ctx context.Context) error {
	_, err := b.api.listJobs(ctx, metav1.ListOptions{Limit: 1, LabelSelector: managedSelector})
	return mapErr(err, "listing Jobs")
}

// Close implements backend.Backend; the client holds nothing that needs closing.
func (b *Backend) Close() error { return nil }

// Start creates the run's Job; an existing Job of the same name means the run exists and nothing changes.
// Transient failures are retried a few times within the call: a retried create is idempotent by name.
func (b *Backend) Start(ctx context.Context, spec compute.Spec) error {
	job, err := b.jobFor(spec)
	if err != nil {
		return err
	}
	return retry(ctx, func() error {
		err := b.api.createJob(ctx, job)
		if isAlreadyExists(err) {
			return nil
		}
		return mapErr(err, "creating Job "+job.Name)
	})
}

// Status derives the run's phase from its Job and Pods.
func (b *Backend) Status(ctx context.Context, id compute.RunID) (compute.Status, error) {
	job, pods, err := b.observe(ctx, id)
	if err != nil {
		return compute.Status{}, err
	}
	return statusOf(job, pods), nil
}

// observe reads the run's Job and Pods.
func (b *Backend) observe(ctx context.Context, id compute.RunID) (*batchv1.Job, []corev1.Pod, error) {
	name := JobName(id)
	job, err := b.api.getJob(ctx, name)
	if err != nil {
		return nil, nil, mapErr(err, "reading Job "+name)
	}
	pods, err := b.api.listPods(ctx, metav1.ListOptions{LabelSelector: runSelector(id)})
	if err != nil {
		return nil, nil, mapErr(err, "listing the Pods of Job "+name)
	}
	return job, pods.Items, nil
}

// Cancel records the cancellation on the Job and suspends it, so the Job controller creates no Pod again, then
// deletes the run's Pods (their containers get SIGTERM and the Pod's grace period). The Job stays, as the
// record of the Cancelled run, until Forget deletes it.
func (b *Backend) Cancel(ctx context.Context, id compute.RunID) error {
	job, pods, err := b.observe(ctx, id)
	if err != nil {
		return err
	}
	st := statusOf(job, pods)
	if st.Phase.Final() {
		return nil
	}
	patch := cancelPatch(time.Now(), st.StartTime)
	err = retry(ctx, func() error {
		err := b.api.mergePatchJob(ctx, job.Name, patch)
		return mapErr(err, "cancelling Job "+job.Name)
	})
	if err != nil {
		return err
	}
	return retry(ctx, func() error {
		err := b.api.deletePods(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: runSelector(id)})
		return mapErr(err, "deleting the Pods of Job "+job.Name)
	})
}

// Runs lists the runs whose Jobs kamld made in the namespace.
func (b *Backend) Runs(ctx context.Context) ([]compute.RunID, error) {
	var out []compute.RunID
	opts := metav1.ListOptions{LabelSelector: managedSelector, Limit: 500}
	for {
		list, err := b.api.listJobs(ctx, opts)
		if err != nil {
			return nil, mapErr(err, "listing Jobs")
		}
		for i := range list.Items {
			if id, ok := runOf(&list.Items[i]); ok {
				out = append(out, id)
			}
		}
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// Forget deletes the run's Job with background propagation: the garbage collector then deletes its Pods.
func (b *Backend) Forget(ctx context.Context, id compute.RunID) error {
	job, pods, err := b.observe(ctx, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if st := statusOf(job, pods); !st.Phase.Final() {
		return fmt.Errorf("run %s is %s; cancel it first: %w", id, st.Phase, apierr.ErrFailedPrecondition)
	}
	propagation := metav1.DeletePropagationBackground
	err = b.api.deleteJob(ctx, job.Name, metav1.DeleteOptions{PropagationPolicy: &propagation})
	if isNotFound(err) {
		return nil
	}
	return mapErr(err, "deleting Job "+job.Name)
}
