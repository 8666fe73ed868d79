package dataset

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// Presigned uploads are staged under uploads/presigned/<upload id>/: "data" is what the client PUTs straight
// to the store, "meta" records the dataset and path it was signed for. CommitUpload verifies the data and
// ingests it like any write; staged uploads never committed are left for garbage collection.
const presignPrefix = uploadPrefix + "presigned/"

type presignedUpload struct {
	Dataset string    `json:"dataset"`
	Path    string    `json:"path"`
	Expires time.Time `json:"expires"`
}

// PresignUnsupportedError is the error of a presigned-URL operation on a blob store that has none. It is
// FAILED_PRECONDITION (the method exists; this deployment's store cannot serve it); the API layer
// (datasetsvc) gives it its own ErrorInfo reason.
type PresignUnsupportedError struct{ Store string }

func (e *PresignUnsupportedError) Error() string {
	return fmt.Sprintf("the %s blob store has no presigned URLs; read and write through the sidecar (ReadFile/WriteFile, REST GET/PUT .../content/{path})", e.Store)
}

// Unwrap makes the error FAILED_PRECONDITION wherever it is mapped.
func (e *PresignUnsupportedError) Unwrap() error { return apierr.ErrFailedPrecondition }

func (e *Engine) presigner() (blob.Presigner, error) {
	p, ok := e.blobs.(blob.Presigner)
	if !ok {
		return nil, &PresignUnsupportedError{Store: e.blobs.Name()}
	}
	return p, nil
}

// SignDownload returns a URL that reads the file at path at ref directly from the store until ttl passes.
func (e *Engine) SignDownload(ctx context.Context, id, ref, filePath string, ttl time.Duration) (string, *FileInfo, error) {
	p, err := e.presigner()
	if err != nil {
		return "", nil, err
	}
	info, err := e.StatFile(ctx, id, ref, filePath)
	if err != nil {
		return "", nil, err
	}
	u, err := p.PresignGet(ctx, BlobKey(info.Digest), ttl, path.Base(filePath))
	return u, info, err
}

// SignUpload returns a URL that uploads one file for path in the dataset's draft, and the id to commit it
// with (CommitUpload) once the upload is done.
func (e *Engine) SignUpload(ctx context.Context, id, filePath string, ttl time.Duration) (url, uploadID string, err error) {
	p, err := e.presigner()
	if err != nil {
		return "", "", err
	}
	if err := validatePath("path", filePath); err != nil {
		return "", "", err
	}
	if _, err := e.open(ctx, access.Writer, "dataset", id); err != nil {
		return "", "", err
	}
	uploadID = randomID()
	rec := presignedUpload{Dataset: id, Path: filePath, Expires: time.Now().Add(ttl).UTC()}
	if _, err := putJSON(ctx, e.blobs, presignPrefix+uploadID+"/meta", rec, blob.PutOptions{IfNoneMatch: true}); err != nil {
		return "", "", err
	}
	url, err = p.PresignPut(ctx, presignPrefix+uploadID+"/data", ttl)
	return url, uploadID, err
}

// CommitUpload ingests a finished presigned upload into the draft at the path it was signed for, verifying
// expectedDigest when given, and removes the staged copy.
func (e *Engine) CommitUpload(ctx context.Context, id, uploadID, expectedDigest string) (*FileInfo, error) {
	if _, err := e.presigner(); err != nil {
		return nil, err
	}
	if len(uploadID) != 24 || strings.Trim(uploadID, "0123456789abcdef") != "" {
		return nil, apierr.InvalidArgument("upload_id", "%q is not an upload id from SignFileUrl", uploadID)
	}
	var rec presignedUpload
	if _, err := getJSON(ctx, e.blobs, presignPrefix+uploadID+"/meta", &rec); err != nil || rec.Dataset != id {
		if err == nil || errors.Is(err, apierr.ErrNotFound) {
			return nil, fmt.Errorf("upload %q for dataset %q: %w", uploadID, id, apierr.ErrNotFound)
		}
		return nil, err
	}
	data := presignPrefix + uploadID + "/data"
	rc, _, err := e.blobs.Get(ctx, data, blob.GetOptions{})
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, fmt.Errorf("nothing was uploaded under %q yet: %w", uploadID, apierr.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	info, err := e.WriteFile(ctx, id, rec.Path, rc, WriteOptions{ExpectedDigest: expectedDigest})
	if err != nil {
		return nil, err
	}
	// The file is in the draft; the staged copy is garbage now. A failed removal only leaves it for gc.
	_ = e.blobs.Delete(ctx, data, blob.DeleteOptions{})
	_ = e.blobs.Delete(ctx, presignPrefix+uploadID+"/meta", blob.DeleteOptions{})
	return info, nil
}
