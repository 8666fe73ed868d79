package access

import (
	"slices"
	"testing"

	"github.com/kamld/kamld/sidecar/internal/auth"
)

var (
	alice   = auth.Principal{Name: "alice", Groups: []string{"ml"}, Kind: auth.KindUser, Verified: true}
	bob     = auth.Principal{Name: "bob", Groups: []string{"bio"}, Kind: auth.KindUser, Verified: true}
	carol   = auth.Principal{Name: "carol", Groups: []string{"ml", "ops"}, Kind: auth.KindUser, Verified: true}
	root    = auth.Principal{Name: "root", Kind: auth.KindUser, Admin: true, Verified: true}
	svc     = auth.Principal{Name: "etl", Kind: auth.KindService, Verified: true}
	anon    = auth.Principal{}
	jobTok  = auth.Principal{Name: "alice", Kind: auth.KindJob, Job: &auth.JobScope{JobID: "j1", Reads: []string{"in"}, Writes: []string{"out"}}}
	private = Policy{Owner: "alice", Visibility: Private}
	shared  = Policy{Owner: "alice", Visibility: Private, Grants: []Grant{
		{Kind: User, Name: "bob", Role: Reader}, {Kind: Group, Name: "ops", Role: Writer}}}
	internal = Policy{Owner: "alice", Visibility: Internal}
	public   = Policy{Owner: "alice", Visibility: Public}
	bobAdmin = Policy{Owner: "alice", Visibility: Internal, Grants: []Grant{
		{Kind: User, Name: "bob", Role: Reader}, {Kind: User, Name: "bob", Role: Admin}}}
)

var rules = []struct {
	name string
	p    auth.Principal
	id   string
	pol  Policy
	want Role
}{
	{"owner is admin of a private dataset", alice, "d", private, Admin},
	{"stranger sees nothing of a private dataset", bob, "d", private, None},
	{"platform admin sees a private dataset", root, "d", private, Admin},
	{"user grant gives its role", bob, "d", shared, Reader},
	{"group grant gives its role", carol, "d", shared, Writer},
	{"group grant does not reach non-members", alice, "d", Policy{Owner: "x", Visibility: Private, Grants: shared.Grants}, None},
	{"internal: any signed-in user reads", bob, "d", internal, Reader},
	{"internal: a service reads", svc, "d", internal, Reader},
	{"internal: anonymous does not read", anon, "d", internal, None},
	{"public: anonymous reads", anon, "d", public, Reader},
	{"public: still only the owner writes", bob, "d", public, Reader},
	{"the highest of several grants wins", bob, "d", bobAdmin, Admin},
	{"job reads its input", jobTok, "in", public, Reader},
	{"job writes its output", jobTok, "out", private, Writer},
	{"job sees nothing else, even public", jobTok, "other", public, None},
	{"job token of the owner is not the owner", jobTok, "d", private, None},
	{"job without a scope has nothing", auth.Principal{Name: "alice", Kind: auth.KindJob}, "in", public, None},
	{"ownerless dataset: grants still apply", bob, "d", Policy{Visibility: Private, Grants: shared.Grants}, Reader},
	{"empty name never matches an empty owner", anon, "d", Policy{Visibility: Private}, None},
}

func TestRoleOf(t *testing.T) {
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			got := RoleOf(r.p, r.id, r.pol)
			if got != r.want {
				t.Fatalf("RoleOf = %v, want %v", got, r.want)
			}
			if CanRead(r.p, r.id, r.pol) != (r.want >= Reader) || CanWrite(r.p, r.id, r.pol) != (r.want >= Writer) ||
				CanAdmin(r.p, r.id, r.pol) != (r.want >= Admin) {
				t.Fatalf("Can* disagree with role %v", r.want)
			}
		})
	}
}

// TestTermsAgreeWithRoleOf: the search filter admits a document exactly when RoleOf says the principal reads it.
func TestTermsAgreeWithRoleOf(t *testing.T) {
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			terms := PrincipalTerms(r.p, true)
			admitted := terms == nil
			for _, term := range DocTerms(r.id, r.pol) {
				admitted = admitted || slices.Contains(terms, term)
			}
			if admitted != (r.want >= Reader) {
				t.Fatalf("search admits=%v, RoleOf=%v (terms %v, doc %v)", admitted, r.want, terms, DocTerms(r.id, r.pol))
			}
		})
	}
	if PrincipalTerms(alice, false) != nil {
		t.Fatal("the sidecar itself (no principal) must search unfiltered")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		pol    Policy
		fields []string
	}{
		{"good", shared, nil},
		{"bad visibility", Policy{Owner: "a", Visibility: "world"}, []string{"visibility"}},
		{"bad kind, name and role", Policy{Visibility: Private, Grants: []Grant{{Kind: "team", Name: " x", Role: None}}},
			[]string{"grants[0].kind", "grants[0].name", "grants[0].role"}},
		{"duplicate grant", Policy{Visibility: Private, Grants: []Grant{{User, "bob", Reader}, {User, "bob", Writer}}}, []string{"grants[1]"}},
		{"too many", Policy{Visibility: Private, Grants: make([]Grant, MaxGrants+1)}, []string{"grants"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, v := range Validate(c.pol) {
				if v.Message == "" {
					t.Fatalf("violation of %s without a message", v.Field)
				}
				got = append(got, v.Field)
			}
			if !slices.Equal(got, c.fields) {
				t.Fatalf("violations %v, want %v", got, c.fields)
			}
		})
	}
}

func TestParseRole(t *testing.T) {
	for _, s := range []string{"reader", "writer", "admin"} {
		if r, ok := ParseRole(s); !ok || r.String() != s {
			t.Fatalf("ParseRole(%q) = %v, %v", s, r, ok)
		}
	}
	for _, s := range []string{"none", "", "owner", "Reader"} {
		if _, ok := ParseRole(s); ok {
			t.Fatalf("ParseRole(%q) accepted", s)
		}
	}
}
