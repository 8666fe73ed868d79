package kubernetes

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
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

// Artifact is not supported yet: the Pod's work directory goes with the Pod, and the helper does not upload
// kept files. ErrNotFound, as for a run that kept nothing.
func (b *Backend) Artifact(ctx context.Context, id compute.RunID, path string) (io.ReadCloser, error) {
	if _, _, err := b.observe(ctx, id); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("kubernetes: run %s keeps no %s: the Kubernetes backend does not keep artifacts yet: %w", id, path, apierr.ErrNotFound)
}
