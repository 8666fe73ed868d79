package interceptors

import (
	"context"
	"errors"

	"github.com/kamld/kamld/sidecar/internal/auth"
)

// Job tokens in single mode (docs/security.md, "Jobs and their tokens"). A job's run calls the API with its
// own job-scoped token, never the sidecar's. In shared mode job tokens are one more verifier of the chain; in
// single mode a bearer that is not the sidecar's token is offered to the job-token verifier, whose principal
// (KindJob, never admin) reaches only the job's inputs and outputs. x-kamld-user is ignored for it: a job
// acts for its owner and nobody else.

// jobPrincipal verifies a job token: ok is false when jobs is nil or the bearer is not a job token (the
// caller then answers as for any bad token); err is the refusal of a job token that does not verify.
func jobPrincipal(ctx context.Context, jobs auth.Verifier, authorization []string) (p auth.Principal, ok bool, err error) {
	presented, has := bearer(authorization)
	if jobs == nil || !has {
		return auth.Principal{}, false, nil
	}
	p, err = jobs.Verify(ctx, presented)
	switch {
	case errors.Is(err, auth.ErrNotMine):
		return auth.Principal{}, false, nil
	case errors.Is(err, auth.ErrWouldBlock):
		return auth.Principal{}, true, err
	case err != nil:
		return auth.Principal{}, true, credentialError(err)
	}
	p.Verified, p.Admin = true, false
	return p, true, nil
}

// AuthenticateJob is the single-mode HTTP front's job-token check: the principal, or whether the bearer was
// a job token at all (when not, the token error stands).
func AuthenticateJob(ctx context.Context, jobs auth.Verifier, authorization []string) (bool, error) {
	_, ok, err := jobPrincipal(ctx, jobs, authorization)
	return ok, err
}
