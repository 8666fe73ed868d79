// Package access is kamld's authorization model, in one place (docs/security.md, "Access control"): every
// dataset has a Policy (an owner, grants to users and groups, a visibility), and the pure functions here
// decide what a principal may do with it. Services never decide access themselves: the dataset engine asks
// RoleOf when it opens a dataset, the search service filters the index by Terms, and the job manager checks
// its inputs and outputs through the engine (docs/architecture.md, "Access control choke points").
package access

import (
	"slices"

	"github.com/kamld/kamld/sidecar/internal/auth"
)

// Role is what a principal may do with one dataset. Roles are ordered: each includes the ones below it.
type Role int

const (
	// None: the dataset is invisible (NOT_FOUND, as if it did not exist).
	None Role = iota
	// Reader reads metadata, files, snapshots, tags, branches; queries it with SQL; uses it as a job input.
	Reader
	// Writer also writes files, takes snapshots, moves tags and branches; uses it as a job output.
	Writer
	// Admin also changes the policy and the owner, and deletes the dataset.
	Admin
)

var roleNames = []string{"none", "reader", "writer", "admin"}

func (r Role) String() string {
	if r < None || r > Admin {
		return "invalid"
	}
	return roleNames[r]
}

// ParseRole returns the role named s ("reader", "writer", "admin"); ok is false otherwise ("none" included:
// a grant of nothing is not a grant).
func ParseRole(s string) (Role, bool) {
	i := slices.Index(roleNames, s)
	return Role(i), i > int(None)
}

// Visibility widens who reads a dataset beyond its owner and grants.
type Visibility string

const (
	// Private: only the owner, the grants and platform admins.
	Private Visibility = "private"
	// Internal: also every signed-in user and service (not job tokens: a job reads only its inputs).
	Internal Visibility = "internal"
	// Public: also every caller, job tokens excepted for the same reason.
	Public Visibility = "public"
)

// DefaultVisibility is the visibility of a dataset whose record has no policy (every dataset created before
// access control existed, and new ones created without one): internal, because before access control every
// user of a platform could read every dataset, so internal keeps what they could read while making writes
// the owner's. See docs/security.md.
const DefaultVisibility = Internal

// GrantKind says whether a grant names a user (or service) or a group.
type GrantKind string

const (
	User  GrantKind = "user"
	Group GrantKind = "group"
)

// Grant gives Role on a dataset to a user or to every member of a group.
type Grant struct {
	Kind GrantKind
	Name string
	Role Role
}

// Policy is who may do what with one dataset.
type Policy struct {
	// Owner has Admin; "" only for datasets created without an owner (then only grants and admins).
	Owner      string
	Visibility Visibility
	Grants     []Grant
}

// RoleOf returns the role principal p has on dataset id under pol. It is a pure function of its arguments:
//   - a platform admin has Admin on everything;
//   - a job token has exactly its scope: Writer on its outputs, Reader on its inputs, None elsewhere (the
//     submitter's rights were checked at submit; the token never widens them);
//   - otherwise the highest of: Admin for the owner, each matching grant's role, and Reader from the
//     visibility (internal: any authenticated user or service; public: any caller).
func RoleOf(p auth.Principal, id string, pol Policy) Role {
	if p.Admin {
		return Admin
	}
	if p.Kind == auth.KindJob {
		return jobRole(p.Job, id)
	}
	role := None
	if pol.Visibility == Public || (pol.Visibility == Internal && p.Name != "") {
		role = Reader
	}
	if p.Name != "" && p.Name == pol.Owner {
		return Admin
	}
	for _, g := range pol.Grants {
		if g.Role > role && matches(p, g) {
			role = g.Role
		}
	}
	return role
}

func matches(p auth.Principal, g Grant) bool {
	switch g.Kind {
	case User:
		return p.Name != "" && g.Name == p.Name
	case Group:
		return p.InGroup(g.Name)
	}
	return false
}

func jobRole(s *auth.JobScope, id string) Role {
	switch {
	case s == nil:
		return None
	case slices.Contains(s.Writes, id):
		return Writer
	case slices.Contains(s.Reads, id):
		return Reader
	}
	return None
}

// CanRead reports whether p may read dataset id.
func CanRead(p auth.Principal, id string, pol Policy) bool { return RoleOf(p, id, pol) >= Reader }

// CanWrite reports whether p may change dataset id's contents.
func CanWrite(p auth.Principal, id string, pol Policy) bool { return RoleOf(p, id, pol) >= Writer }

// CanAdmin reports whether p may change dataset id's policy, owner, or delete it.
func CanAdmin(p auth.Principal, id string, pol Policy) bool { return RoleOf(p, id, pol) >= Admin }

// Owns reports whether p owns the dataset (ListDatasets' "mine").
func Owns(p auth.Principal, pol Policy) bool {
	return p.Name != "" && p.Kind != auth.KindJob && p.Name == pol.Owner
}

// SharedWith reports whether a grant names p or one of its groups and p does not own the dataset
// (ListDatasets' "shared").
func SharedWith(p auth.Principal, pol Policy) bool {
	if Owns(p, pol) || p.Kind == auth.KindJob {
		return false
	}
	for _, g := range pol.Grants {
		if matches(p, g) {
			return true
		}
	}
	return false
}
