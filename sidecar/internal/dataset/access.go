package dataset

import (
	"context"
	"fmt"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/audit"
	"github.com/kamld/kamld/sidecar/internal/auth"
)

// Access control (docs/architecture.md, "Access control choke points"). A dataset's policy lives in its
// record, meta/datasets/<id>, so it is changed by the same compare-and-swap as the rest of the metadata and
// its etag is the record's version. Every operation on a dataset opens its record (open), and open checks the
// caller's role there, once: a caller who cannot read the dataset gets the same ErrNotFound as for a dataset
// that does not exist; one who can read but not do what the operation needs gets ErrPermissionDenied.
//
// A context without a principal is the sidecar's own work (the job driver committing outputs, the search
// catch-up, garbage collection): it is not checked. Every API call has a principal (the auth interceptor and
// the raw HTTP routes put one in), so no request reaches the engine without one.

// accessRecord is the stored policy beside the owner in metaRecord. A record without one is a dataset from
// before access control: access.DefaultVisibility, no grants.
type accessRecord struct {
	Visibility string        `json:"visibility"`
	Grants     []grantRecord `json:"grants,omitempty"`
}

type grantRecord struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Role string `json:"role"`
}

func (m *metaRecord) policy() access.Policy {
	pol := access.Policy{Owner: m.Owner, Visibility: access.DefaultVisibility}
	if m.Access == nil {
		return pol
	}
	pol.Visibility = access.Visibility(m.Access.Visibility)
	for _, g := range m.Access.Grants {
		role, _ := access.ParseRole(g.Role)
		pol.Grants = append(pol.Grants, access.Grant{Kind: access.GrantKind(g.Kind), Name: g.Name, Role: role})
	}
	return pol
}

func (m *metaRecord) setPolicy(pol access.Policy) {
	m.Owner = pol.Owner
	rec := &accessRecord{Visibility: string(pol.Visibility)}
	for _, g := range pol.Grants {
		rec.Grants = append(rec.Grants, grantRecord{Kind: string(g.Kind), Name: g.Name, Role: g.Role.String()})
	}
	m.Access = rec
}

// authorize checks that the caller has at least need on dataset id whose record is m.
func authorize(ctx context.Context, id string, m *metaRecord, need access.Role) error {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		return nil
	}
	role := access.RoleOf(p, id, m.policy())
	switch {
	case role >= need:
		return nil
	case role == access.None:
		// Answered as a dataset that does not exist, but audited as the denial it is.
		audit.Denied(ctx, id)
		return fmt.Errorf("dataset %q: %w", id, apierr.ErrNotFound)
	}
	return &DeniedError{Dataset: id, Role: role, Need: need}
}

// DeniedError is a caller who can see a dataset but lacks the role an operation needs (PERMISSION_DENIED).
type DeniedError struct {
	Dataset    string
	Role, Need access.Role
}

func (e *DeniedError) Error() string {
	what := map[access.Role]string{access.Writer: "change", access.Admin: "administer (share, change the owner, delete)"}[e.Need]
	return fmt.Sprintf("dataset %q: you are a %s of it and cannot %s it; ask its owner for the %s role", e.Dataset, e.Role, what, e.Need)
}

// Unwrap makes a DeniedError a PERMISSION_DENIED for apierr.
func (e *DeniedError) Unwrap() error { return apierr.ErrPermissionDenied }

// Access is a dataset's policy and the etag that guards it (the dataset record's version).
type Access struct {
	Policy access.Policy
	Etag   string
	// Role is the caller's own role, so a client can tell what it may do.
	Role access.Role
}

// GetAccess returns dataset id's policy; any reader may see it (a reader needs to know whom to ask).
func (e *Engine) GetAccess(ctx context.Context, id string) (*Access, error) {
	d, err := e.open(ctx, access.Reader, "name", id)
	if err != nil {
		return nil, err
	}
	return d.access(ctx), nil
}

func (d *ds) access(ctx context.Context) *Access {
	pol := d.meta.policy()
	role := access.Admin
	if p, ok := auth.PrincipalFrom(ctx); ok {
		role = access.RoleOf(p, d.id, pol)
	}
	return &Access{Policy: pol, Etag: d.ver, Role: role}
}

// SetAccess replaces dataset id's policy; only its admins (the owner, admin grants, platform admins) may.
// With etag set it fails with ErrAborted unless the record's version still matches. The policy must pass
// access.Validate (the caller maps the violations to field errors). An empty Owner keeps the current owner, an
// empty Visibility the current visibility.
func (e *Engine) SetAccess(ctx context.Context, id string, pol access.Policy, etag string) (*Access, error) {
	d, err := e.changeRecord(ctx, access.Admin, "name", id, etag, "the access of dataset", func(rec *metaRecord) error {
		p := pol
		if p.Owner == "" {
			p.Owner = rec.Owner
		}
		if p.Visibility == "" {
			p.Visibility = rec.policy().Visibility
		}
		rec.setPolicy(p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d.access(ctx), nil
}

// Authorize checks that the caller has at least need on dataset id, as every operation of the engine does:
// for callers that act on a dataset outside the engine (the job manager checking a job's outputs).
func (e *Engine) Authorize(ctx context.Context, id string, need access.Role) error {
	_, err := e.open(ctx, need, "dataset", id)
	return err
}
