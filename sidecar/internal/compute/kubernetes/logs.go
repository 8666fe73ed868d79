package kubernetes

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/podhelper"
)

// logPoll is how often a follower checks whether a pending run's command has started.
const logPoll = time.Second

// Logs streams the run container's log from the kubelet, through the API server. Kubernetes cannot start a
// log at a byte offset, so the first offset bytes are read and dropped. With follow, it waits for the command
// to start, streams until the container ends, and returns io.EOF; a run that ends without ever starting
// (cancelled while pending, inputs failed) has an empty log. The log lives as long as the Pod.
func (b *Backend) Logs(ctx context.Context, id compute.RunID, offset int64, follow bool) (io.ReadCloser, error) {
	pod, err := b.logPod(ctx, id, follow)
	if err != nil {
		return nil, err
	}
	if pod == nil {
		return io.NopCloser(strings.NewReader("")), nil
	}
	rc, err := b.api.podLogs(ctx, pod.Name, &corev1.PodLogOptions{Container: RunContainer, Follow: follow})
	if err != nil {
		return nil, mapErr(err, "reading the log of Pod "+pod.Name)
	}
	if _, err := io.CopyN(io.Discard, rc, offset); err != nil && err != io.EOF {
		rc.Close()
		return nil, fmt.Errorf("kubernetes: skipping to offset %d of the log of Pod %s: %w: %w", offset, pod.Name, apierr.ErrUnavailable, err)
	}
	return rc, nil
}

// logPod returns the Pod whose run container has a log, waiting for one when follow is set; nil means the run
// has no log (it ended, or without follow has not started).
func (b *Backend) logPod(ctx context.Context, id compute.RunID, follow bool) (*corev1.Pod, error) {
	for {
		job, pods, err := b.observe(ctx, id)
		if err != nil {
			return nil, err
		}
		pod := newest(pods)
		if pod != nil && !commandStart(pod).IsZero() {
			return pod, nil
		}
		if !follow || statusOf(job, pods).Phase.Final() {
			return nil, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(logPoll):
		}
	}
}

// Artifact opens the run's export file (compute.Spec.Export), which the helper carries back in the run
// container's termination message after a successful run. Other files go with the Pod, and the helper does
// not upload them: ErrNotFound, as for a run that kept nothing.
func (b *Backend) Artifact(ctx context.Context, id compute.RunID, path string) (io.ReadCloser, error) {
	job, pods, err := b.observe(ctx, id)
	if err != nil {
		return nil, err
	}
	if export, ok := exported(job, newest(pods), path); ok {
		return io.NopCloser(bytes.NewReader(export)), nil
	}
	return nil, fmt.Errorf("kubernetes: run %s keeps no %s (a Pod's files go with it; only an export file the command wrote comes back): %w",
		id, path, apierr.ErrNotFound)
}

// exported is what a succeeded Pod's helper carried back in the termination message, when path is the
// run's export file.
func exported(job *batchv1.Job, pod *corev1.Pod, path string) ([]byte, bool) {
	m, err := podhelper.ParseManifest([]byte(job.Spec.Template.Annotations[AnnotationManifest]))
	if err != nil || m.Export == "" || m.Export != path || pod == nil || pod.Status.Phase != corev1.PodSucceeded {
		return nil, false
	}
	run := containerStatus(pod.Status.ContainerStatuses, RunContainer)
	if run == nil || run.State.Terminated == nil {
		return nil, false
	}
	return podhelper.ExportFromMessage(run.State.Terminated.Message)
}
