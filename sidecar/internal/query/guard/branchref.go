package guard

import "github.com/kamld/kamld/sidecar/internal/resource"

// isBranchDraftRef reports a dataset ref naming a branch's draft, "iris@exp~draft": its '~' is the ref
// syntax (docs/branches.md), not a home directory, and with no extension or '/' the engine never reads it as
// a file.
func isBranchDraftRef(s string) bool {
	r, err := resource.ParseShortRef(s)
	return err == nil && r.Path == "" && r.Ref.Kind == resource.RefDraft && r.Ref.Value != ""
}
