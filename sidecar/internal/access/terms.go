package access

import "github.com/kamld/kamld/sidecar/internal/auth"

// Search filtering (docs/search.md): each index document carries the terms of who may read it (DocTerms),
// each search carries the terms of who asks (PrincipalTerms), and the index matches a document only when the
// two share a term. The filter runs inside the index query, so totals and facets count only readable
// datasets. RoleOf and the terms must agree: TestTermsAgreeWithRoleOf checks it over the rule table.

// DocTerms are the reader terms of dataset id under pol.
func DocTerms(id string, pol Policy) []string {
	out := []string{"d:" + id}
	switch pol.Visibility {
	case Public:
		out = append(out, "v:public", "v:internal")
	case Internal:
		out = append(out, "v:internal")
	}
	if pol.Owner != "" {
		out = append(out, "u:"+pol.Owner)
	}
	for _, g := range pol.Grants {
		switch g.Kind {
		case User:
			out = append(out, "u:"+g.Name)
		case Group:
			out = append(out, "g:"+g.Name)
		}
	}
	return out
}

// PrincipalTerms are the terms a search by p matches; nil means no filter (a platform admin, or the sidecar
// itself with no principal). A job token matches only its scope's datasets.
func PrincipalTerms(p auth.Principal, ok bool) []string {
	if !ok || p.Admin {
		return nil
	}
	if p.Kind == auth.KindJob {
		out := []string{}
		if p.Job != nil {
			for _, id := range append(append([]string{}, p.Job.Reads...), p.Job.Writes...) {
				out = append(out, "d:"+id)
			}
		}
		return out
	}
	out := []string{"v:public"}
	if p.Name == "" {
		return out
	}
	out = append(out, "v:internal", "u:"+p.Name)
	for _, g := range p.Groups {
		out = append(out, "g:"+g)
	}
	return out
}
