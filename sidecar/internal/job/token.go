package job

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Job-scoped tokens (docs/security.md, "Jobs and their tokens"). A job's run gets one credential,
// KAMLD_JOB_TOKEN: "kjt.<job id>.<mac>", the mac an HMAC-SHA256 of the job id under a key kept in the object
// store (tokenKeyPath, created once, create-only, so every sidecar sharing the store mints and verifies the
// same tokens and nothing secret is written per job). It verifies to a KindJob principal whose scope is the
// job's input datasets (read) and output datasets (write), and only while the job is not final: once it is
// cancelled, failed or succeeded, the token is refused. The job's run never gets the sidecar's token file,
// the service tokens or the backends' credentials.

// tokenKeyPath is the key's object. Only the sidecar reads the store, so only it can mint tokens.
const tokenKeyPath = "auth/job-token-key"

const tokenPrefix = "kjt."

// Tokens mints and verifies job tokens; it is an auth.Verifier.
type Tokens struct {
	store blob.Store
	mu    sync.Mutex
	key   []byte
}

// NewTokens returns the job tokens over store. The key is read (or created) on first use.
func NewTokens(store blob.Store) *Tokens { return &Tokens{store: store} }

func (t *Tokens) loadKey(ctx context.Context) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.key != nil {
		return t.key, nil
	}
	fresh := make([]byte, 32)
	_, _ = rand.Read(fresh)
	_, err := t.store.Put(ctx, tokenKeyPath, bytes.NewReader(fresh), blob.PutOptions{IfNoneMatch: true})
	if err != nil && !errors.Is(err, apierr.ErrAlreadyExists) {
		return nil, fmt.Errorf("job token key: %w", err)
	}
	rc, _, err := t.store.Get(ctx, tokenKeyPath, blob.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("job token key: %w", err)
	}
	defer rc.Close()
	key, err := io.ReadAll(rc)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("job token key %s is unreadable or not 32 bytes: %v", tokenKeyPath, err)
	}
	t.key = key
	return key, nil
}

func mac(key []byte, jobID string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("kamld job token\x00" + jobID))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// Mint returns the token of job id.
func (t *Tokens) Mint(ctx context.Context, jobID string) (string, error) {
	key, err := t.loadKey(ctx)
	if err != nil {
		return "", err
	}
	return tokenPrefix + jobID + "." + mac(key, jobID), nil
}

// Verify implements auth.Verifier: auth.ErrNotMine for a bearer that is not a job token; a refused
// *auth.CredentialError for a forged token, a job that does not exist, or one that has ended.
func (t *Tokens) Verify(ctx context.Context, bearer string) (auth.Principal, error) {
	rest, ok := strings.CutPrefix(bearer, tokenPrefix)
	if !ok {
		return auth.Principal{}, auth.ErrNotMine
	}
	jobID, got, ok := strings.Cut(rest, ".")
	if !ok || resource.ValidateDatasetID(jobID) != nil {
		return auth.Principal{}, auth.Refuse(auth.FailInvalid, "invalid job token")
	}
	if auth.IsCacheOnly(ctx) {
		return auth.Principal{}, auth.ErrWouldBlock // the job's record is read from the store
	}
	key, err := t.loadKey(ctx)
	if err != nil {
		return auth.Principal{}, auth.Refuse(auth.FailUnavailable, "job tokens cannot be checked now: the store does not answer")
	}
	if !hmac.Equal([]byte(got), []byte(mac(key, jobID))) {
		return auth.Principal{}, auth.Refuse(auth.FailInvalid, "invalid job token")
	}
	r, err := loadRecord(ctx, t.store, jobID)
	switch {
	case errors.Is(err, apierr.ErrNotFound):
		return auth.Principal{}, auth.Refuse(auth.FailInvalid, "invalid job token: job %s does not exist", jobID)
	case err != nil:
		return auth.Principal{}, auth.Refuse(auth.FailUnavailable, "job tokens cannot be checked now: the store does not answer")
	case r.final():
		return auth.Principal{}, auth.Refuse(auth.FailExpired, "the token of job %s expired when the job ended (%s)", jobID, r.Job.State)
	}
	return auth.Principal{Name: r.Job.Owner, Kind: auth.KindJob, Job: scopeOf(r)}, nil
}

// scopeOf is what a job's token may touch: its input datasets (read) and output datasets (write).
func scopeOf(r *record) *auth.JobScope {
	s := &auth.JobScope{JobID: r.id()}
	for _, in := range r.Job.Inputs {
		if ds, _, err := resource.ParseChildName("", in.Snapshot, "snapshots"); err == nil {
			s.Reads = append(s.Reads, ds)
		}
	}
	for _, out := range r.Job.Outputs {
		if id, err := resource.ParseDatasetName("", out.Dataset); err == nil {
			s.Writes = append(s.Writes, id)
		}
	}
	return s
}
