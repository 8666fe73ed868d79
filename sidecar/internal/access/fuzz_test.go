package access

import (
	"slices"
	"testing"

	"github.com/kamld/kamld/sidecar/internal/auth"
)

// FuzzPolicy: any policy is validated without panicking, and for every policy that validates, the search
// terms admit exactly what RoleOf lets the principal read.
//
//	go test -fuzz FuzzPolicy ./sidecar/internal/access
func FuzzPolicy(f *testing.F) {
	f.Add("alice", "private", "user", "bob", "reader", "bob", "ml")
	f.Add("", "internal", "group", "ml", "writer", "carol", "ml")
	f.Add("x", "public", "team", " ", "owner", "", "")
	f.Fuzz(func(t *testing.T, owner, vis, kind, name, role, who, group string) {
		r, _ := ParseRole(role)
		pol := Policy{Owner: owner, Visibility: Visibility(vis), Grants: []Grant{{Kind: GrantKind(kind), Name: name, Role: r}}}
		bad := Validate(pol)
		for _, v := range bad {
			if v.Field == "" || v.Message == "" {
				t.Fatalf("a violation without field or message: %+v", v)
			}
		}
		if len(bad) > 0 {
			return
		}
		p := auth.Principal{Name: who, Groups: []string{group}, Kind: auth.KindUser}
		terms := PrincipalTerms(p, true)
		admitted := false
		for _, term := range DocTerms("d", pol) {
			admitted = admitted || slices.Contains(terms, term)
		}
		if admitted != CanRead(p, "d", pol) {
			t.Fatalf("search admits=%v but CanRead=%v for %+v on %+v", admitted, !admitted, p, pol)
		}
	})
}
