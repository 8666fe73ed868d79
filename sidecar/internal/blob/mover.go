package blob

import "context"

// Mover is implemented by stores that can give an object a new key without its bytes passing through kamld:
// a rename on the local directory store, a server-side copy on S3. kamld uses it to place a staged upload at
// its content address once its digest is known, which otherwise costs a second full read and write.
type Mover interface {
	// Move makes the content of object src the object dst, replacing unconditionally whatever dst held, and
	// removes src. dst appears atomically (readers see its previous content or src's, never a mix) with a
	// new Version and ModTime, as after a Put; Move returns its Info. A missing src is ErrNotFound, with
	// dst unchanged. src must not be written concurrently (callers move private staging objects).
	//
	// A Move that fails leaves dst as it was or as src was; src may or may not remain, so a caller that needs
	// the content after a failure re-reads src and handles ErrNotFound.
	Move(ctx context.Context, src, dst string) (Info, error)

	// MoveIsRename reports whether Move costs no data copy whatever the size (fs: true). On S3 it is a copy
	// inside the store, which saves the sidecar's bandwidth to a remote store but measured no faster than
	// re-reading and re-writing through kamld against a MinIO on the same machine (docs/benchmarks.md, Ingest).
	MoveIsRename() bool
}
