package dataset

import (
	"time"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
)

var errAborted = apierr.ErrAborted

// Stats counts what a dataset state holds (Stats in common.proto; row counts belong to the schema layer).
type Stats struct {
	FileCount  int64
	TotalBytes int64
}

// Dataset is a dataset's metadata and a summary of its state (Dataset in dataset.proto).
type Dataset struct {
	ID          string
	Description string
	Tags        []string
	Labels      map[string]string
	Owner       string
	CreateTime  time.Time
	// UpdateTime is the later of the last metadata change and the last snapshot.
	UpdateTime time.Time
	// Stats of the head snapshot.
	Stats Stats
	// HeadSnapshot is the id of the latest snapshot, "" before the first.
	HeadSnapshot string
	// SnapshotCount is how many snapshots the branch's history holds (version numbers are shared by all
	// branches, so the head's number may be higher).
	SnapshotCount   int64
	HasDraftChanges bool
	// Etag changes with every metadata change; pass it to UpdateDataset/DeleteDataset for optimistic
	// concurrency.
	Etag string
	// Access is the dataset's policy (owner, visibility, grants).
	Access access.Policy
}

// FileInfo describes one file at a ref (FileInfo in common.proto).
type FileInfo struct {
	Path       string
	Size       int64
	Digest     string // "sha256:<hex>"
	MediaType  string
	ModifyTime time.Time
	// ETag is the quoted digest: a strong HTTP ETag.
	ETag string
}

// Lineage records how a job produced a snapshot.
type Lineage struct {
	Job        string   `json:"job,omitempty"`
	Inputs     []string `json:"inputs,omitempty"`
	Image      string   `json:"image,omitempty"`
	CodeDigest string   `json:"codeDigest,omitempty"`
}

// Snapshot is an immutable state of a dataset (Snapshot in snapshot.proto).
type Snapshot struct {
	Dataset  string
	ID       string // hex sha256 over root, parent, message, author and time
	Sequence int64
	Parent   string // parent id, "" for the first
	// MergeParent is the second parent of a merge snapshot: the head of the branch merged in.
	MergeParent string
	// Branch is the branch it was committed to.
	Branch       string
	Message      string
	Author       string
	CreateTime   time.Time
	Stats        Stats
	ManifestRoot string
	// Tags pointing at it (filled by GetSnapshot and ListSnapshots).
	Tags    []string
	Lineage *Lineage

	parentSeq int64 // the first parent's number (listing walks it)
}

// Version renders the sequence as people write it: "v3".
func (s *Snapshot) Version() string { return "v" + itoa(s.Sequence) }

// Tag names a snapshot.
type Tag struct {
	ID         string
	Snapshot   string // snapshot id
	Author     string
	CreateTime time.Time
}

// ChangeType says how a file differs between two refs.
type ChangeType int

// Change types, as in snapshot.proto.
const (
	Added ChangeType = iota + 1
	Removed
	Modified
)

func (c ChangeType) String() string {
	switch c {
	case Added:
		return "added"
	case Removed:
		return "removed"
	case Modified:
		return "modified"
	}
	return "unspecified"
}

// FileChange is one difference; From is nil when added, To when removed.
type FileChange struct {
	Path     string
	Type     ChangeType
	From, To *FileInfo
}

// DiffStats counts differences (DiffStats in snapshot.proto).
type DiffStats struct {
	Added, Removed, Modified int64
	// BytesDelta is bytes of added and modified files in "to" minus bytes of removed and modified in "from".
	BytesDelta int64
}

// DraftRef is the name results use for the draft where a snapshot id would be.
const DraftRef = "draft"
