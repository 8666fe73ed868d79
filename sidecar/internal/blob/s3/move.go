package s3

import (
	"context"

	"github.com/minio/minio-go/v7"

	"github.com/kamld/kamld/sidecar/internal/blob"
)

var _ blob.Mover = (*Store)(nil)

// Move implements blob.Mover with a server-side copy (CopyObject; a multipart UploadPartCopy beyond 5 GiB,
// which minio-go's ComposeObject chooses by size) and then a Delete of src: the bytes never leave the store.
// The copy is pinned to the source's ETag as Stat saw it, so a source replaced meanwhile fails with
// ErrAborted instead of moving other content.
func (s *Store) Move(ctx context.Context, src, dst string) (blob.Info, error) {
	for _, k := range []string{src, dst} {
		if err := blob.ValidateKey(k); err != nil {
			return blob.Info{}, err
		}
	}
	from, err := s.Stat(ctx, src)
	if err != nil {
		return blob.Info{}, err
	}
	ui, err := s.client.ComposeObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: s.prefix + dst},
		minio.CopySrcOptions{Bucket: s.bucket, Object: s.prefix + src, MatchETag: from.Version})
	if err != nil {
		return blob.Info{}, s.mapErr("move "+src+" to", dst, err)
	}
	if err := s.Delete(ctx, src, blob.DeleteOptions{}); err != nil {
		return blob.Info{}, err
	}
	info := blob.Info{Key: dst, Size: from.Size, Version: trimETag(ui.ETag), ModTime: ui.LastModified}
	if info.Version == "" || info.ModTime.IsZero() {
		// Not every answer to a copy carries them; ask.
		return s.Stat(ctx, dst)
	}
	return info, nil
}

// MoveIsRename implements blob.Mover: no, S3 copies the bytes inside the store.
func (s *Store) MoveIsRename() bool { return false }
