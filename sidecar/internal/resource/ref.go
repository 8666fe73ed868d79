package resource

import (
	"fmt"
	"strconv"
	"strings"
)

// DraftRef names the working state of a dataset.
const DraftRef = "draft"

// RefKind says how a ref picks a dataset state.
type RefKind int

// The ref kinds, in the order common.proto lists them.
const (
	RefLatest   RefKind = iota // ""
	RefSequence                // "v3"
	RefIDPrefix                // "4f2a9c…"
	RefTag                     // "prod": a tag or a branch (they share one namespace)
	RefDraft                   // "draft" (the draft of the branch in scope, main by default), or "exp~draft" (Value "exp")
)

// DefaultBranch is the branch every dataset has; a dataset written before branches existed is this branch.
const DefaultBranch = "main"

// branchDraftSuffix turns a branch name into the ref of its draft: "exp~draft".
const branchDraftSuffix = "~" + DraftRef

// MinIDPrefix is the shortest snapshot id prefix accepted.
const MinIDPrefix = 6

// Ref is a parsed ref. Exactly one of Sequence (RefSequence) or Value (RefIDPrefix, RefTag, RefDraft of a
// branch other than the default) is meaningful.
type Ref struct {
	Kind     RefKind
	Sequence int64
	Value    string
}

// String renders the ref as users type it; ParseRef(r.String()) == r.
func (r Ref) String() string {
	switch r.Kind {
	case RefSequence:
		return "v" + strconv.FormatInt(r.Sequence, 10)
	case RefDraft:
		if r.Value != "" {
			return r.Value + branchDraftSuffix
		}
		return DraftRef
	case RefLatest:
		return ""
	default:
		return r.Value
	}
}

// ParseRef parses a ref as common.proto defines it. The kinds cannot collide because tag and branch names may
// not look like a sequence, an id prefix or "draft" (ValidateTagID), nor contain "~".
func ParseRef(s string) (Ref, error) {
	switch {
	case s == "":
		return Ref{Kind: RefLatest}, nil
	case s == DraftRef:
		return Ref{Kind: RefDraft}, nil
	case strings.HasSuffix(s, branchDraftSuffix):
		b := strings.TrimSuffix(s, branchDraftSuffix)
		if err := ValidateBranchName(b); err != nil {
			return Ref{}, fmt.Errorf("%q: the draft of a branch is <branch>~draft: branch %v", s, err)
		}
		return Ref{Kind: RefDraft, Value: b}, nil
	case isSequence(s):
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil || n < 1 || s[1] == '0' {
			return Ref{}, fmt.Errorf("%q: sequence numbers start at v1, have no leading zeros and fit in 63 bits", s)
		}
		return Ref{Kind: RefSequence, Sequence: n}, nil
	case isIDPrefix(s):
		if len(s) > 64 {
			return Ref{}, fmt.Errorf("%q: a snapshot id has at most 64 hex digits", s)
		}
		return Ref{Kind: RefIDPrefix, Value: s}, nil
	}
	if err := ValidateTagID(s); err != nil {
		return Ref{}, fmt.Errorf("%q is not a ref (latest \"\", \"draft\", \"v3\", an id prefix of 6+ hex digits, a tag or branch, or <branch>~draft): %v", s, err)
	}
	return Ref{Kind: RefTag, Value: s}, nil
}

// isSequence reports "v" followed by digits only (v0 and v007 are sequences too, so they cannot be tags;
// ParseRef rejects them as sequences).
func isSequence(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isIDPrefix(s string) bool {
	if len(s) < MinIDPrefix {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') }) < 0
}
