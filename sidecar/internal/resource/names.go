// Package resource parses and validates the names users type: dataset and tag ids, resource names, refs,
// file paths and the short form "iris@v3/train.csv". Every RPC, the CLI, the magics and SQL naming go through
// it, so one set of rules (common.proto documents them) holds everywhere.
package resource

import (
	"fmt"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// MaxIDLength bounds dataset and tag ids (a DNS label).
const MaxIDLength = 63

// DatasetCollection is the collection segment of dataset resource names.
const DatasetCollection = "datasets"

// ValidateDatasetID checks a dataset id: 1-63 of [a-z0-9-], starting with a letter, not ending with '-'.
// A DNS label, so a dataset id can also name a bucket prefix, a Kubernetes label value and a SQL schema.
func ValidateDatasetID(id string) error {
	if id == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(id) > MaxIDLength {
		return fmt.Errorf("is %d characters long; at most %d", len(id), MaxIDLength)
	}
	if id[0] < 'a' || id[0] > 'z' {
		return fmt.Errorf("%q must start with a lowercase letter", id)
	}
	if id[len(id)-1] == '-' {
		return fmt.Errorf("%q must not end with '-'", id)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("%q has %q at position %d; only a-z, 0-9 and '-' are allowed", id, rune(c), i+1)
		}
	}
	return nil
}

// ValidateBranchName checks a branch name: the rules of tag ids, since both are written after "@" in a ref
// and share one namespace per dataset.
func ValidateBranchName(name string) error { return ValidateTagID(name) }

// ValidateTagID checks a snapshot tag id: 1-63 of [a-z0-9._-], starting with a letter or digit, and not
// something a ref would read differently: "draft", a sequence ("v3") or an id prefix (6+ hex digits).
func ValidateTagID(id string) error {
	if id == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(id) > MaxIDLength {
		return fmt.Errorf("is %d characters long; at most %d", len(id), MaxIDLength)
	}
	if c := id[0]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
		return fmt.Errorf("%q must start with a lowercase letter or digit", id)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("%q has %q at position %d; only a-z, 0-9, '.', '_' and '-' are allowed", id, rune(c), i+1)
		}
	}
	switch {
	case id == DraftRef:
		return fmt.Errorf(`"draft" names the working state, not a tag`)
	case isSequence(id):
		return fmt.Errorf("%q reads as a snapshot sequence number", id)
	case isIDPrefix(id):
		return fmt.Errorf("%q reads as a snapshot id prefix (6 or more hex digits)", id)
	}
	return nil
}

// ParseDatasetName returns the id of "datasets/{id}". field names the request field in errors.
func ParseDatasetName(field, name string) (string, error) {
	id, ok := strings.CutPrefix(name, DatasetCollection+"/")
	if !ok {
		return "", apierr.InvalidArgument(field, "%q is not a dataset name; want datasets/{dataset}", name)
	}
	if err := ValidateDatasetID(id); err != nil {
		return "", apierr.InvalidArgument(field, "dataset id %v", err)
	}
	return id, nil
}

// DatasetName returns "datasets/{id}".
func DatasetName(id string) string { return DatasetCollection + "/" + id }

// ParseChildName splits "datasets/{dataset}/{collection}/{child}" and validates the dataset id; the child is
// returned as is for the caller's own rules (a ref for snapshots, a tag id for tags).
func ParseChildName(field, name, collection string) (dataset, child string, err error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != DatasetCollection || parts[2] != collection || parts[3] == "" {
		return "", "", apierr.InvalidArgument(field, "%q is not a %s name; want datasets/{dataset}/%s/{id}", name, strings.TrimSuffix(collection, "s"), collection)
	}
	if err := ValidateDatasetID(parts[1]); err != nil {
		return "", "", apierr.InvalidArgument(field, "dataset id %v", err)
	}
	return parts[1], parts[3], nil
}

// ParseScopedName returns the engine id of "datasets/{dataset}" or of a branch-scoped
// "datasets/{dataset}@{branch}": "iris" or "iris@exp". Requests that write a draft or read a history accept
// the scoped form and then act on that branch (docs/branches.md).
func ParseScopedName(field, name string) (string, error) {
	scope, branch, scoped := strings.Cut(name, "@")
	id, err := ParseDatasetName(field, scope)
	if err != nil || !scoped {
		return id, err
	}
	if err := ValidateBranchName(branch); err != nil {
		return "", apierr.InvalidArgument(field, "branch %v", err)
	}
	if branch == DefaultBranch {
		return id, nil
	}
	return id + "@" + branch, nil
}

// ParseScopedChildName is ParseChildName whose dataset segment may be branch-scoped ("iris@exp").
func ParseScopedChildName(field, name, collection string) (scopedID, child string, err error) {
	parts := strings.SplitN(name, "/", 3)
	if len(parts) < 3 {
		return ParseChildName(field, name, collection)
	}
	id, err := ParseScopedName(field, parts[0]+"/"+parts[1])
	if err != nil {
		return "", "", err
	}
	plain, _, _ := strings.Cut(id, "@")
	_, child, err = ParseChildName(field, parts[0]+"/"+plain+"/"+parts[2], collection)
	return id, child, err
}
