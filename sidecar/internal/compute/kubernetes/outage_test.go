package kubernetes_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/kubetest"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func outageSpec(job string) compute.Spec {
	return compute.Spec{Run: compute.RunID{Job: job, Attempt: 1}, Image: "busybox:1.36", Command: []string{"true"}}
}

// jobsOf counts the Jobs of a kamld job id in ns.
func jobsOf(c *kubetest.Cluster, t *testing.T, ns, job string) int {
	t.Helper()
	list, err := c.Batch.Jobs(ns).List(t.Context(), metav1.ListOptions{LabelSelector: kubernetes.LabelJob + "=" + job})
	require.NoError(t, err)
	return len(list.Items)
}

// TestOutage: an API server that cannot be reached makes every call UNAVAILABLE, and submitting again after a
// lost answer or an outage never makes a second Job.
func TestOutage(t *testing.T) {
	c := kubetest.Start(t)
	ns, cfg := c.Namespace(t)
	ctx := t.Context()

	t.Run("LostAnswer", func(t *testing.T) {
		// The create reaches the API server, which makes the Job, but the answer never comes back.
		var posts atomic.Int32
		lossy := rest.CopyConfig(cfg)
		lossy.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				resp, err := rt.RoundTrip(r)
				if err == nil && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/jobs") && posts.Add(1) == 1 {
					_ = resp.Body.Close()
					return nil, errors.New("connection reset by peer (answer dropped by the test)")
				}
				return resp, err
			})
		}
		b := newBackend(t, lossy, ns)
		require.NoError(t, b.Start(ctx, outageSpec("lost-answer")), "Start retries and finds the Job it made")
		assert.GreaterOrEqual(t, posts.Load(), int32(2), "the create was sent again")
		assert.Equal(t, 1, jobsOf(c, t, ns, "lost-answer"))
	})

	t.Run("APIServerDown", func(t *testing.T) {
		b := newBackend(t, cfg, ns)
		require.NoError(t, b.Start(ctx, outageSpec("before")))
		c.Server.StopAPIServer()
		id := compute.RunID{Job: "before", Attempt: 1}
		err := b.Start(ctx, outageSpec("during"))
		assert.ErrorIs(t, err, apierr.ErrUnavailable)
		assert.Equal(t, codes.Unavailable, apierr.Code(err))
		_, err = b.Status(ctx, id)
		assert.ErrorIs(t, err, apierr.ErrUnavailable)
		assert.ErrorIs(t, b.Cancel(ctx, id), apierr.ErrUnavailable)
		_, err = b.Runs(ctx)
		assert.ErrorIs(t, err, apierr.ErrUnavailable)
		_, err = b.Logs(ctx, id, 0, false)
		assert.ErrorIs(t, err, apierr.ErrUnavailable)
		assert.Error(t, b.Health(ctx))

		c.Server.RestartAPIServer()
		require.NoError(t, b.Health(ctx))
		require.NoError(t, b.Start(ctx, outageSpec("during")), "the caller's retry after the outage")
		assert.Equal(t, 1, jobsOf(c, t, ns, "during"))
		st, err := b.Status(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, compute.PhasePending, st.Phase, "the run from before the outage is still there")
	})

	t.Run("RetriedThroughRestart", func(t *testing.T) {
		// A caller that retries until it succeeds (as the job domain does) submits while the API server is
		// down and keeps retrying while it restarts: exactly one Job.
		b := newBackend(t, cfg, ns)
		c.Server.StopAPIServer()
		done := make(chan error, 1)
		var attempts atomic.Int32
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
			defer cancel()
			for {
				attempts.Add(1)
				err := b.Start(ctx, outageSpec("mid-submit"))
				if err == nil || !errors.Is(err, apierr.ErrUnavailable) {
					done <- err
					return
				}
			}
		}()
		require.Eventually(t, func() bool { return attempts.Load() >= 2 }, time.Minute, 10*time.Millisecond,
			"Start gives up with UNAVAILABLE after its own retries, and the caller tries again")
		c.Server.RestartAPIServer()
		require.NoError(t, <-done)
		assert.Equal(t, 1, jobsOf(c, t, ns, "mid-submit"))
	})
}
