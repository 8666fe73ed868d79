package datasetsvc

import (
	"context"
	"strings"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Access serves kamld.v1.AccessService. The rules are package access's and the checks the engine's; this
// maps names and messages only.
type Access struct {
	kamldv1.UnimplementedAccessServiceServer
	engine *dataset.Engine
}

// NewAccess returns the service over engine.
func NewAccess(engine *dataset.Engine) *Access { return &Access{engine: engine} }

// parseAccessName parses "datasets/{dataset}/access".
func parseAccessName(field, name string) (string, error) {
	ds, ok := strings.CutSuffix(name, "/access")
	if !ok {
		return "", apierr.InvalidArgument(field, "%q is not of the form datasets/{dataset}/access", name)
	}
	return resource.ParseDatasetName(field, ds)
}

// GetAccess implements kamld.v1.AccessService.
func (s *Access) GetAccess(ctx context.Context, req *kamldv1.GetAccessRequest) (*kamldv1.DatasetAccess, error) {
	id, err := parseAccessName("name", req.GetName())
	if err != nil {
		return nil, err
	}
	a, err := s.engine.GetAccess(ctx, id)
	if err != nil {
		return nil, err
	}
	return toAccess(id, a), nil
}

// SetAccess implements kamld.v1.AccessService.
func (s *Access) SetAccess(ctx context.Context, req *kamldv1.SetAccessRequest) (*kamldv1.DatasetAccess, error) {
	in := req.GetAccess()
	id, err := parseAccessName("access.name", in.GetName())
	if err != nil {
		return nil, err
	}
	pol, err := policyOf(in)
	if err != nil {
		return nil, err
	}
	a, err := s.engine.SetAccess(ctx, id, pol, in.GetEtag())
	if err != nil {
		return nil, err
	}
	return toAccess(id, a), nil
}

// policyOf converts and validates a policy; every bad field is reported, named as in the request.
func policyOf(in *kamldv1.DatasetAccess) (access.Policy, error) {
	pol := access.Policy{Owner: in.GetOwner(), Visibility: access.Visibility(in.GetVisibility())}
	var bad []apierr.FieldViolation
	for _, g := range in.GetGrants() {
		role, ok := access.ParseRole(g.GetRole())
		if !ok {
			role = access.None // Validate reports it with the grant's index
		}
		pol.Grants = append(pol.Grants, access.Grant{Kind: access.GrantKind(g.GetKind()), Name: g.GetName(), Role: role})
	}
	for _, v := range access.Validate(pol) {
		bad = append(bad, apierr.FieldViolation{Field: "access." + v.Field, Description: v.Message})
	}
	return pol, apierr.InvalidArguments(bad)
}

func toAccess(id string, a *dataset.Access) *kamldv1.DatasetAccess {
	out := &kamldv1.DatasetAccess{
		Name: resource.DatasetName(id) + "/access", Owner: a.Policy.Owner, Visibility: string(a.Policy.Visibility),
		Etag: a.Etag, YourRole: a.Role.String(),
	}
	for _, g := range a.Policy.Grants {
		out.Grants = append(out.Grants, &kamldv1.AccessGrant{Kind: string(g.Kind), Name: g.Name, Role: g.Role.String()})
	}
	return out
}
