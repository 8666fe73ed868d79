package dataset

import (
	"fmt"
	"strings"
)

// Keys of the object store layout; doc.go describes it as a whole.

const (
	blobPrefix   = "blobs/sha256/"
	uploadPrefix = "uploads/"
	metaPrefix   = "meta/datasets/"
)

// BlobKey returns the key holding the content with digest "sha256:<hex>": each blob under a folder of its
// own, so a Hive/Trino external table can point its LOCATION at exactly one file.
func BlobKey(digest string) string {
	hex := strings.TrimPrefix(digest, "sha256:")
	return blobPrefix + hex[:2] + "/" + hex + "/data"
}

func metaKey(id string) string { return metaPrefix + id }

// dsKeys names the objects of one incarnation of a dataset. The incarnation (uid) changes when a dataset is
// deleted and created again, so leftovers of a deleted dataset can never leak into its successor.
type dsKeys struct{ root string }

func newDSKeys(id, uid string) dsKeys { return dsKeys{root: "datasets/" + id + "/" + uid + "/"} }

func (k dsKeys) head() string               { return k.root + "head" }
func (k dsKeys) draft() string              { return k.root + "draft" }
func (k dsKeys) gen(gen string) string      { return k.root + "gens/" + gen + "/" }
func (k dsKeys) seq(n int64) string         { return fmt.Sprintf("%sseq/%020d", k.root, n) }
func (k dsKeys) snapID(id string) string    { return k.root + "ids/" + id }
func (k dsKeys) tags() string               { return k.root + "tags/" }
func (k dsKeys) tag(tag string) string      { return k.root + "tags/" + tag }
func (k dsKeys) entry(gen, h string) string { return k.gen(gen) + h }
func (k dsKeys) branches() string           { return k.root + "branches/" }
func (k dsKeys) branch(name string) string  { return k.root + "branches/" + name }
func (k dsKeys) branchDraft(id string) string {
	if id == "" {
		return k.draft() // the default branch keeps the draft pointer datasets had before branches
	}
	return k.root + "drafts/" + id
}
func (k dsKeys) seqCounter() string { return k.root + "seqcounter" }
