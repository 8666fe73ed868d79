package resource

import (
	"fmt"
	"strings"
)

// ShortRef is the form clients, magics and SQL use: "iris", "iris@v3", "iris@v3/train.csv", "iris/images/".
type ShortRef struct {
	Dataset string
	Ref     Ref
	Path    string // "" for the whole dataset; a folder ends in '/'
}

// String renders the short form; ParseShortRef(s.String()) == s.
func (s ShortRef) String() string {
	out := s.Dataset
	if r := s.Ref.String(); r != "" {
		out += "@" + r
	}
	if s.Path != "" {
		out += "/" + s.Path
	}
	return out
}

// ParseShortRef parses "dataset[@ref][/path]".
func ParseShortRef(s string) (ShortRef, error) {
	head, path, hasPath := strings.Cut(s, "/")
	ds, ref, hasRef := strings.Cut(head, "@")
	if err := ValidateDatasetID(ds); err != nil {
		return ShortRef{}, fmt.Errorf("dataset %v", err)
	}
	out := ShortRef{Dataset: ds}
	if hasRef {
		if ref == "" {
			return ShortRef{}, fmt.Errorf("%q: empty ref after '@' (leave out '@' for the latest snapshot)", s)
		}
		r, err := ParseRef(ref)
		if err != nil {
			return ShortRef{}, err
		}
		out.Ref = r
	}
	if hasPath {
		if path == "" {
			return ShortRef{}, fmt.Errorf("%q: empty path after '/'", s)
		}
		if err := ValidatePrefix(path); err != nil {
			return ShortRef{}, fmt.Errorf("path %v", err)
		}
		out.Path = path
	}
	return out, nil
}
