package access

import (
	"fmt"

	"github.com/kamld/kamld/sidecar/internal/auth"
)

// MaxGrants bounds a policy's grants: a policy is read on every access to its dataset.
const MaxGrants = 256

// Violation is one bad field of a policy, named as the API names it (grants[2].name).
type Violation struct {
	Field, Message string
}

// Validate checks a policy someone wants to store; it returns every violation, not just the first.
func Validate(pol Policy) []Violation {
	var out []Violation
	bad := func(field, format string, args ...any) {
		out = append(out, Violation{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch pol.Visibility {
	case "", Private, Internal, Public: // empty: SetAccess keeps the current visibility
	default:
		bad("visibility", "%q is not a visibility: use private, internal or public", pol.Visibility)
	}
	if pol.Owner != "" {
		if err := auth.ValidIdentity(pol.Owner); err != nil {
			bad("owner", "owner %v", err)
		}
	}
	if len(pol.Grants) > MaxGrants {
		bad("grants", "%d grants; at most %d", len(pol.Grants), MaxGrants)
		return out
	}
	seen := map[Grant]int{}
	for i, g := range pol.Grants {
		field := fmt.Sprintf("grants[%d]", i)
		if g.Kind != User && g.Kind != Group {
			bad(field+".kind", "%q is not a grant kind: use user or group", g.Kind)
		}
		if err := auth.ValidIdentity(g.Name); err != nil {
			bad(field+".name", "name %v", err)
		}
		if g.Role <= None || g.Role > Admin {
			bad(field+".role", "a grant's role is reader, writer or admin")
		}
		key := Grant{Kind: g.Kind, Name: g.Name}
		if j, dup := seen[key]; dup {
			bad(field, "%s %q is already granted by grants[%d]", g.Kind, g.Name, j)
		}
		seen[key] = i
	}
	return out
}
