package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	k8serrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// mapErr turns a client-go error into one wrapping the apierr sentinel of its gRPC code. The API server's
// own status codes say what happened; anything without one (connection refused, TLS, timeouts) means the
// server could not be reached: UNAVAILABLE, which a caller may retry because creates are idempotent.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var sentinel error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", what, err)
	case k8serrors.IsNotFound(err):
		sentinel = apierr.ErrNotFound
	case k8serrors.IsAlreadyExists(err):
		sentinel = apierr.ErrAlreadyExists
	case k8serrors.IsConflict(err):
		sentinel = apierr.ErrAborted
	case k8serrors.IsInvalid(err):
		return invalidSpec(err)
	case k8serrors.IsBadRequest(err), k8serrors.IsRequestEntityTooLargeError(err):
		sentinel = apierr.ErrFailedPrecondition
	case k8serrors.IsForbidden(err), k8serrors.IsUnauthorized(err):
		// kamld's own credentials lack a permission: an operator's problem, reported as such.
		sentinel = apierr.ErrFailedPrecondition
		what += " (check the Role bound to kamld's service account)"
	default:
		sentinel = apierr.ErrUnavailable
	}
	return fmt.Errorf("kubernetes: %s: %w: %w", what, sentinel, err)
}

// specFields maps the Job's fields the API server validates to the job fields they come from, so a refusal
// names what the user wrote (a node selector's syntax, an image reference, an env name, working files over
// the 256 KiB annotation limit).
var specFields = []struct{ prefix, field string }{
	{"spec.template.spec.nodeSelector", "job.node_selector"},
	{"spec.template.spec.containers[0].image", "job.flavor"},
	{"spec.template.spec.containers[0].env", "job.env"},
	{"spec.template.metadata.annotations", "job.working_files"},
	{"metadata.labels", "job.labels"},
	{"spec.template.metadata.labels", "job.labels"},
	{"spec.template.spec.containers[0].resources", "job.resources"},
}

// invalidSpec turns the API server's Invalid answer into INVALID_ARGUMENT with a field violation per cause.
func invalidSpec(err error) error {
	var violations []apierr.FieldViolation
	var status k8serrors.APIStatus
	if errors.As(err, &status) && status.Status().Details != nil {
		for _, cause := range status.Status().Details.Causes {
			field := "job"
			for _, f := range specFields {
				if strings.HasPrefix(cause.Field, f.prefix) {
					field = f.field
					break
				}
			}
			violations = append(violations, apierr.FieldViolation{Field: field, Description: "Kubernetes refuses " + cause.Field + ": " + cause.Message})
		}
	}
	if len(violations) == 0 {
		violations = []apierr.FieldViolation{{Field: "job", Description: "Kubernetes refuses the Job: " + err.Error()}}
	}
	return apierr.InvalidArguments(violations)
}

func isAlreadyExists(err error) bool { return k8serrors.IsAlreadyExists(err) }
func isNotFound(err error) bool      { return k8serrors.IsNotFound(err) }

// retryDelays are the pauses between attempts of a call that failed with UNAVAILABLE: about 3 s in all, enough
// to ride over an API server's restart or a lost connection, short enough to answer an RPC promptly.
var retryDelays = []time.Duration{100 * time.Millisecond, 400 * time.Millisecond, time.Second, 1500 * time.Millisecond}

// retry calls fn until it succeeds, fails with something other than UNAVAILABLE, or the delays run out. Only
// idempotent calls go through it (create by a fixed name, patch to fixed values, delete).
//
// Forbidden and Unauthorized are retried too: an API server that is starting answers requests before its
// RBAC and service-account caches are filled, and denies what it will allow a second later (the outage test
// caught this). A permission that is really missing still fails, a few seconds later.
func retry(ctx context.Context, fn func() error) error {
	err := fn()
	for _, d := range retryDelays {
		if !errors.Is(err, apierr.ErrUnavailable) && !k8serrors.IsForbidden(err) && !k8serrors.IsUnauthorized(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
		err = fn()
	}
	return err
}
