// Package blob defines kamld's object store: the one place where bytes live (docs/architecture.md).
//
// Everything kamld persists — file contents by digest, manifest chunks, snapshots, and the small mutable
// pointers (dataset heads, draft entries, tags) — is an object in a Store. The interface is deliberately
// small, in the spirit of lakeFS's block adapter: streamed reads and writes, listing, deletion, and the two
// conditional writes that let any number of stateless sidecars share one store without losing an update:
// create-only (IfNoneMatch) and compare-and-swap on a version (IfMatch).
//
// Implementations: blob/fs (a local directory, the embedded default) and blob/s3 (MinIO or any S3 through
// minio-go). Both pass the one conformance suite in blob/blobtest; a new implementation must too.
package blob

import (
	"context"
	"io"
	"time"

	"github.com/kamld/kamld/sidecar/internal/backend"
)

// Store is an object store. All methods are safe for concurrent use, by goroutines and by other processes
// (other sidecars) sharing the same store.
//
// Errors: every method validates its key first (ValidateKey) and answers a bad one with an *apierr.Error of
// code InvalidArgument. Otherwise errors wrap the apierr sentinels, so errors.Is works:
//   - apierr.ErrNotFound: the object does not exist (Get, Stat).
//   - apierr.ErrAlreadyExists: a create-only Put found the object already there.
//   - apierr.ErrAborted: a compare-and-swap lost — the object's version differs from IfMatch or the object
//     no longer exists. The caller re-reads and retries, or reports ABORTED.
//   - apierr.ErrOutOfRange: a read starts past the end of the object.
//   - apierr.ErrUnavailable: the store cannot be reached or refuses kamld's credentials; the message says
//     where and why. Retrying later may succeed.
//   - apierr.ErrResourceExhausted: the store is full, or the object is larger than the store can take.
//   - apierr.ErrFailedPrecondition: the store cannot hold this key (see the blob/fs package doc).
//   - apierr.ErrUnimplemented: the store lacks an optional capability (see DeleteOptions).
//
// Context cancellation aborts the operation and returns the context's error; a cancelled Put never leaves a
// partial object visible.
type Store interface {
	backend.Backend

	// Put writes the object key from r, which is read to EOF and may be of any, unknown, length: it is
	// streamed, never held whole in memory. The object appears atomically: readers see the previous content
	// or the new one, never a mix or a prefix, and a Put that fails (r returns an error, the context is
	// cancelled, the process dies) leaves the previous content, or no object, in place.
	//
	// Conditions are checked atomically with the commit of the write: IfNoneMatch fails with
	// ErrAlreadyExists when the object exists; IfMatch fails with ErrAborted when the object does not exist
	// or its version is not IfMatch. Setting both is an InvalidArgument error. Of several conditional Puts
	// racing from the same observed state, exactly one wins (unless the winner wrote back the very content
	// it replaced on a store whose versions are content digests; see Info.Version).
	//
	// It returns the new object's Info (its Version is what a later IfMatch names). A failed Put may have
	// read any part of r. An error from r is returned wrapped, so errors.Is finds it. A Put that fails with
	// ErrUnavailable or a context error may or may not have committed (the store's answer was lost): re-read
	// before retrying a conditional one. Any other error means nothing was written.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Info, error)

	// Get opens the object key for streamed reading of the byte range opts selects, and returns it with the
	// Info of exactly the content being read: a concurrent Put does not change the bytes of a reader already
	// opened, or makes the read fail — never mixes contents. Info.Size is the whole object's size, not the
	// range's. The caller must Close the reader.
	//
	// A missing object is ErrNotFound. Offset equal to the size gives an empty reader; beyond it,
	// ErrOutOfRange. A range running past the end is cut at the end.
	Get(ctx context.Context, key string, opts GetOptions) (io.ReadCloser, Info, error)

	// Stat returns the Info of the object key, or ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)

	// List returns, in ascending byte order of key, the objects whose key starts with opts.Prefix (a plain
	// string prefix, not necessarily ending at a '/') and sorts after opts.StartAfter, at most opts.Limit of
	// them. Listing is flat: every object under the prefix, however deep. To page, pass the last key returned
	// as the next StartAfter while Page.More is true. Objects written or deleted during paging may or may
	// not appear; objects that exist throughout appear exactly once.
	List(ctx context.Context, opts ListOptions) (Page, error)

	// Delete removes the object key. Deleting a missing object is not an error (as in S3), so a retried
	// Delete is harmless. With IfMatch set, the object is removed only if its version is IfMatch, atomically;
	// otherwise (or if it is missing) ErrAborted. Stores that cannot delete conditionally — S3 and MinIO have
	// no preconditions on DELETE — return ErrUnimplemented for a conditional Delete and delete nothing.
	// Portable code models deleting a mutable pointer as a compare-and-swap Put of a tombstone value.
	Delete(ctx context.Context, key string, opts DeleteOptions) error
}

// Info describes one stored object.
type Info struct {
	// Key is the object's key.
	Key string
	// Size is the object's length in bytes.
	Size int64
	// Version identifies the object's content as written: it changes on every Put that changes the
	// content, and is what IfMatch compares. It is opaque and store-specific (an S3 ETag, a generation on
	// the fs store). Equal content may or may not give equal versions: on S3 an ETag is a digest of the
	// content, so rewriting identical bytes keeps the version and a compare-and-swap against it still
	// succeeds — which is right for value-like pointers; callers that must detect any rewrite put a
	// generation into the content.
	Version string
	// ModTime is when the object was last written, as the store reports it.
	ModTime time.Time
}

// PutOptions are the conditions of a Put. The zero value writes unconditionally.
type PutOptions struct {
	// IfNoneMatch makes the Put create-only: it fails with ErrAlreadyExists if the object exists.
	IfNoneMatch bool
	// IfMatch, when not empty, makes the Put a compare-and-swap: it fails with ErrAborted unless the object
	// exists with this Version.
	IfMatch string
}

// GetOptions select the bytes a Get reads. The zero value reads the whole object.
type GetOptions struct {
	// Offset is the first byte to read; it must not be negative.
	Offset int64
	// Length is the most bytes to read; zero or negative reads to the end.
	Length int64
}

// ListOptions select what List returns.
type ListOptions struct {
	// Prefix restricts the listing to keys that start with it. Empty lists everything.
	Prefix string
	// StartAfter restricts the listing to keys that sort strictly after it. Empty starts at the beginning.
	StartAfter string
	// Limit is the most objects to return: 1..MaxListLimit; zero means MaxListLimit.
	Limit int
}

// MaxListLimit is the largest page List returns (S3's own maximum).
const MaxListLimit = 1000

// Page is one page of a listing.
type Page struct {
	// Objects, in ascending byte order of Key.
	Objects []Info
	// More reports that objects may follow the last one returned: list again with StartAfter set to its key.
	More bool
}

// DeleteOptions are the conditions of a Delete. The zero value deletes unconditionally.
type DeleteOptions struct {
	// IfMatch, when not empty, deletes only if the object exists with this Version (see Store.Delete).
	IfMatch string
}

// LocalFiler is implemented by stores whose objects are plain local files (blob/fs), so that engines that read
// files by path (DuckDB) can read them in place instead of through a copy.
type LocalFiler interface {
	// LocalPath returns the file holding object key; the caller must not write to it.
	LocalPath(key string) (string, error)
	// ObjectsDir is the directory under which every object's file lives.
	ObjectsDir() string
}
