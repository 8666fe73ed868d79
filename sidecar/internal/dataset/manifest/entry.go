// Package manifest is the tree that lists a snapshot's files: its sorted entries are cut into leaves at
// content-defined boundaries, each leaf stored once under the digest of its bytes, and a root lists the
// leaves. It is lakeFS's range/metarange design with two levels.
//
// Why content-defined: a leaf ends after an entry whose path hashes to a value with its low LeafBits bits zero
// (with a minimum and a maximum leaf length), so where leaves end depends only on the paths near the end, not
// on how many entries came before. Editing ten entries of a 100,000-entry tree rewrites the few leaves that
// hold them and the root; every other leaf is the very same object the parent's root names. Building,
// diffing and restoring then cost what changed, not what exists (docs/architecture.md, docs/benchmarks.md).
//
// A path's hash alone decides boundaries — not its digest — so changing a file's content never moves a
// boundary; only adding or removing paths does, and only next to them.
package manifest

import (
	"fmt"
	"strings"
	"time"
)

// Entry is one file of a tree.
type Entry struct {
	// Path is the file's path in the dataset (resource.ValidatePath rules: no control characters, so no tab
	// or newline, which the leaf encoding relies on).
	Path string
	// Digest is "sha256:<64 hex>".
	Digest string
	// Size in bytes.
	Size int64
	// MediaType, e.g. "text/csv".
	MediaType string
	// ModTime is when this content was written into the dataset.
	ModTime time.Time
}

// Same reports whether two entries describe the same file content and metadata.
func (e Entry) Same(o Entry) bool {
	return e.Path == o.Path && e.Digest == o.Digest && e.Size == o.Size && e.MediaType == o.MediaType && e.ModTime.Equal(o.ModTime)
}

// Change sets (Entry != nil) or removes (Entry == nil) the file at Path.
type Change struct {
	Path  string
	Entry *Entry
}

// LeafRef is the root's summary of one leaf.
type LeafRef struct {
	Digest      string // "sha256:<hex>" of the leaf's encoding
	First, Last string // first and last path in the leaf
	Count       int64  // entries
	Bytes       int64  // sum of the entries' sizes
}

// validate refuses what the line encoding cannot hold: callers validate paths and media types first
// (resource.ValidatePath), so this is a safety net that keeps a stored tree decodable.
func (c Change) validate() error {
	if c.Path == "" || strings.ContainsAny(c.Path, "\t\n\r") {
		return fmt.Errorf("manifest: path %q is empty or contains a tab or newline", c.Path)
	}
	if e := c.Entry; e != nil {
		if e.Path != c.Path {
			return fmt.Errorf("manifest: change of %q carries an entry for %q", c.Path, e.Path)
		}
		if strings.ContainsAny(e.Digest+e.MediaType, "\t\n\r") {
			return fmt.Errorf("manifest: entry %q has a tab or newline in its digest or media type", c.Path)
		}
	}
	return nil
}
