package kubernetes_test

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/kubetest"
)

// TestKubernetesSpecifics covers what the conformance suite leaves to the backend: deadlines enforced by the
// Job controller, what Cancel does to the API objects, logs of runs that never started, and permissions.
func TestKubernetesSpecifics(t *testing.T) {
	c := kubetest.Start(t)
	d := c.Driver("")
	setup := func(t *testing.T) *kubernetes.Backend {
		ns, cfg := c.Namespace(t)
		d.NS = ns
		return newBackend(t, cfg, ns)
	}
	spec := func(job string) compute.Spec {
		return compute.Spec{Run: compute.RunID{Job: job, Attempt: 1}, Image: "busybox:1.36", Command: []string{"sleep", "300"}}
	}

	t.Run("DeadlineExceeded", func(t *testing.T) {
		b := setup(t)
		s := spec("slow")
		s.Timeout = 2 * time.Second
		require.NoError(t, b.Start(t.Context(), s))
		job, err := c.Batch.Jobs(d.NS).Get(t.Context(), kubernetes.JobName(s.Run), metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, int64(2), *job.Spec.ActiveDeadlineSeconds)
		d.Schedule(t, s.Run)
		d.Deadline(t, s.Run)
		st, err := b.Status(t.Context(), s.Run)
		require.NoError(t, err)
		assert.Equal(t, compute.PhaseFailed, st.Phase)
		assert.Equal(t, compute.ReasonDeadlineExceeded, st.Reason)
		assert.False(t, st.StartTime.IsZero())
	})

	t.Run("CancelSuspendsTheJobAndDeletesItsPods", func(t *testing.T) {
		b := setup(t)
		s := spec("stop-me")
		require.NoError(t, b.Start(t.Context(), s))
		d.Unschedulable(t, s.Run) // a Pod exists but is not bound to a node, so deleting it is immediate
		require.NoError(t, b.Cancel(t.Context(), s.Run))
		job, err := c.Batch.Jobs(d.NS).Get(t.Context(), kubernetes.JobName(s.Run), metav1.GetOptions{})
		require.NoError(t, err)
		assert.True(t, *job.Spec.Suspend, "the Job controller makes no new Pod")
		assert.NotEmpty(t, job.Annotations[kubernetes.AnnotationCancelled])
		pods, err := c.Core.Pods(d.NS).List(t.Context(), metav1.ListOptions{LabelSelector: kubernetes.LabelJob + "=stop-me"})
		require.NoError(t, err)
		assert.Empty(t, pods.Items)
		st, err := b.Status(t.Context(), s.Run)
		require.NoError(t, err)
		assert.Equal(t, compute.PhaseCancelled, st.Phase)
		// Forget deletes the Job (background propagation); then the run is unknown.
		require.NoError(t, b.Forget(t.Context(), s.Run))
		_, err = c.Batch.Jobs(d.NS).Get(t.Context(), kubernetes.JobName(s.Run), metav1.GetOptions{})
		assert.True(t, err != nil)
	})

	t.Run("LogsLiveAndAfterThroughTheAPIServer", func(t *testing.T) {
		b := setup(t)
		s := spec("chatty")
		require.NoError(t, b.Start(t.Context(), s))
		d.Schedule(t, s.Run)
		d.Log(t, s.Run, "line1\n")
		rc, err := b.Logs(t.Context(), s.Run, 0, true)
		require.NoError(t, err)
		followed := make(chan string, 1)
		go func() {
			b, _ := io.ReadAll(rc)
			followed <- string(b)
		}()
		d.Log(t, s.Run, "line2\n")
		d.Exit(t, s.Run, 0)
		select {
		case got := <-followed:
			assert.Equal(t, "line1\nline2\n", got, "follow streams until the container ends")
		case <-time.After(time.Minute):
			t.Fatal("following the log did not end with the container")
		}
		require.NoError(t, rc.Close())
		assert.Equal(t, "line2\n", readLog(t, b, s.Run, 6), "an offset resumes a broken stream")
		assert.Empty(t, readLog(t, b, s.Run, 100))
	})

	t.Run("LogsOfARunThatNeverStarted", func(t *testing.T) {
		b := setup(t)
		s := spec("never")
		require.NoError(t, b.Start(t.Context(), s))
		rc, err := b.Logs(t.Context(), s.Run, 0, false)
		require.NoError(t, err)
		got, err := io.ReadAll(rc)
		require.NoError(t, err)
		assert.Empty(t, got)
		require.NoError(t, b.Cancel(t.Context(), s.Run))
		rc, err = b.Logs(t.Context(), s.Run, 0, true)
		require.NoError(t, err, "following a run that ended without starting returns at once")
		got, err = io.ReadAll(rc)
		require.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("MissingPermissionIsFailedPrecondition", func(t *testing.T) {
		setup(t)
		_, err := c.Core.ServiceAccounts(d.NS).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "nobody"}}, metav1.CreateOptions{})
		require.NoError(t, err)
		token, err := c.Server.ServiceAccountToken(t.Context(), d.NS, "nobody")
		require.NoError(t, err)
		b := newBackend(t, c.Server.ConfigWithToken(token), d.NS)
		err = b.Start(t.Context(), spec("denied"))
		assert.Equal(t, codes.FailedPrecondition, apierr.Code(err))
		assert.Contains(t, err.Error(), "Role")
	})

	t.Run("InvalidNodeSelectorIsRefusedClearly", func(t *testing.T) {
		b := setup(t)
		s := spec("bad-selector")
		s.NodeSelector = map[string]string{"not a label key!": "x"}
		err := b.Start(t.Context(), s)
		st := apierr.Status(err)
		assert.Equal(t, codes.InvalidArgument, st.Code())
		var fields []string
		for _, d := range st.Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.FieldViolations {
					fields = append(fields, v.Field)
					assert.Contains(t, v.Description, "nodeSelector")
				}
			}
		}
		assert.Equal(t, []string{"job.node_selector"}, fields)
	})
}

func readLog(t *testing.T, b *kubernetes.Backend, id compute.RunID, offset int64) string {
	t.Helper()
	rc, err := b.Logs(t.Context(), id, offset, false)
	require.NoError(t, err)
	defer rc.Close()
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(got)
}
