package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/observe"
)

// ingestOptions are the checks of an ingest.
type ingestOptions struct {
	expectedDigest string // "sha256:<hex>" or ""
	expectedSize   int64  // > 0 to check
}

// ingest stores r's bytes once under their sha256 (content addressing) and returns the digest and size.
//
// The bytes stream through once and are never held whole, except a body of at most smallBody bytes, which is
// read and hashed first and then stored at its content key directly (readSmall, storeSmall). Without an expected digest they go to a private
// staging key (uploads/…) while being hashed, and are then placed at their content key — renamed there by
// the store (blob.Mover) or else copied and checked again; a blob already stored
// with that digest is the same bytes, so the move is skipped (dedup). With an expected digest
// they go straight to the content key, through a reader that fails at EOF unless digest and size match, so a
// mismatch (ErrDataLoss) commits nothing. A stored blob older than the refresh age is not skipped but written
// again, from staging, and confirmed to survive any garbage collection in progress (reuse, fence.go). Either way a reader that breaks off, a cancelled context or a killed
// process leaves no blob at a content key, only a staging object that garbage collection removes after its
// grace period.
func (e *Engine) ingest(ctx context.Context, r io.Reader, opts ingestOptions) (string, int64, error) {
	digest, size, err := e.ingestContent(ctx, r, opts)
	observe.Ingested(size, err)
	return digest, size, err
}

func (e *Engine) ingestContent(ctx context.Context, r io.Reader, opts ingestOptions) (digest string, size int64, err error) {
	if opts.expectedDigest == "" {
		data, rest, err := readSmall(r, opts)
		if err != nil {
			return "", 0, err
		}
		if rest == nil {
			sum := sha256.Sum256(data)
			digest := "sha256:" + hex.EncodeToString(sum[:])
			return digest, int64(len(data)), e.storeSmall(ctx, digest, data)
		}
		r = rest
	}
	v := &verifier{r: r, h: sha256.New(), want: opts}
	if opts.expectedDigest != "" {
		key := BlobKey(opts.expectedDigest)
		info, err := e.blobs.Stat(ctx, key)
		if err != nil {
			info, err = e.blobs.Put(ctx, key, v, blob.PutOptions{IfNoneMatch: true})
			if err == nil {
				return opts.expectedDigest, info.Size, nil
			}
			if !errors.Is(err, apierr.ErrAlreadyExists) {
				return "", 0, err
			}
			info.ModTime = time.Now() // stored just now by a concurrent writer
		}
		if time.Since(info.ModTime) < e.refreshAge {
			// Stored already (dedup); still read and check what the client sent, so a digest alone never
			// proves possession of the content.
			if _, err := io.Copy(io.Discard, v); err != nil {
				return "", 0, err
			}
			return opts.expectedDigest, v.n, nil
		}
		// Stored, but old enough for garbage collection to be taking it: stage the bytes, so that they can
		// be written again over it as often as a sweep needs (reuse, below).
	}

	staging := uploadPrefix + randomID()
	if _, err := e.blobs.Put(ctx, staging, v, blob.PutOptions{IfNoneMatch: true}); err != nil {
		return "", 0, err
	}
	moved := false
	defer func() {
		if !moved {
			_ = e.blobs.Delete(context.WithoutCancel(ctx), staging, blob.DeleteOptions{})
		}
	}()
	digest = "sha256:" + hex.EncodeToString(v.h.Sum(nil))
	key := BlobKey(digest)
	if info, err := e.blobs.Stat(ctx, key); err == nil {
		// Dedup: no second copy, unless the blob is old enough for garbage collection to be taking it.
		err := e.reuse(ctx, key, info, func(ctx context.Context) error {
			return e.copyStaged(ctx, staging, key, digest, v.n, blob.PutOptions{})
		})
		if err != nil {
			return "", 0, err
		}
		return digest, v.n, nil
	}
	if m, ok := e.blobs.(blob.Mover); ok && m.MoveIsRename() {
		// The store renames: the bytes are not read and written a second time. An unconditional move is
		// right here: whatever a concurrent writer put at key is the same bytes.
		if _, err := m.Move(ctx, staging, key); err != nil {
			return "", 0, err
		}
		moved = true
		return digest, v.n, nil
	}
	if err := e.copyStaged(ctx, staging, key, digest, v.n, blob.PutOptions{IfNoneMatch: true}); err != nil && !errors.Is(err, apierr.ErrAlreadyExists) {
		return "", 0, err
	}
	return digest, v.n, nil
}

// smallBody is the size up to which ingest reads the bytes into memory and hashes them first.
const smallBody = 64 << 10

// readSmall reads up to smallBody bytes of r. When that is all of it, it returns the bytes (checked against
// the expected size) and a nil rest, so that ingest stores them at their content key directly: staging costs
// a small file two more object writes, most of its ingest time. Otherwise it returns a reader of the same
// whole stream as rest.
func readSmall(r io.Reader, opts ingestOptions) (data []byte, rest io.Reader, err error) {
	if opts.expectedSize > smallBody {
		return nil, r, nil
	}
	buf := make([]byte, smallBody+1)
	n, err := io.ReadFull(r, buf)
	switch {
	case err == nil: // more than smallBody: stream it as a large one
		return nil, io.MultiReader(bytes.NewReader(buf[:n]), r), nil
	case err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF):
		return nil, nil, err
	case opts.expectedSize > 0 && int64(n) != opts.expectedSize:
		return nil, nil, fmt.Errorf("%d bytes arrived, %d were expected: %w", n, opts.expectedSize, apierr.ErrDataLoss)
	}
	return buf[:n], nil, nil
}

// storeSmall stores data, held whole and hashed by the caller to digest, at its content key. New content
// (the common case) costs one create-only Put and nothing else; only when the blob exists is it Stat'ed,
// and one old enough for garbage collection to be taking it is written again through the general path
// (staging and reuse, fence.go).
func (e *Engine) storeSmall(ctx context.Context, digest string, data []byte) error {
	key := BlobKey(digest)
	for range 3 {
		_, err := e.blobs.Put(ctx, key, bytes.NewReader(data), blob.PutOptions{IfNoneMatch: true})
		if !errors.Is(err, apierr.ErrAlreadyExists) {
			return err
		}
		info, err := e.blobs.Stat(ctx, key)
		if errors.Is(err, apierr.ErrNotFound) {
			continue // collected between the two calls: store it again
		}
		if err != nil {
			return err
		}
		if time.Since(info.ModTime) < e.refreshAge {
			return nil // stored already (dedup)
		}
		break
	}
	_, _, err := e.ingestContent(ctx, bytes.NewReader(data), ingestOptions{expectedDigest: digest, expectedSize: int64(len(data))})
	return err
}

// copyStaged copies a staging object to its content key, checking the digest and size on the way.
func (e *Engine) copyStaged(ctx context.Context, staging, key, digest string, size int64, opts blob.PutOptions) error {
	rc, _, err := e.blobs.Get(ctx, staging, blob.GetOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	check := &verifier{r: rc, h: sha256.New(), want: ingestOptions{expectedDigest: digest, expectedSize: size}}
	_, err = e.blobs.Put(ctx, key, check, opts)
	return err
}

// verifier hashes and counts what it reads and, at EOF, fails with ErrDataLoss unless the expected digest and
// size match — so a Put reading it commits only verified content.
type verifier struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	want ingestOptions
	done bool
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.done {
		return 0, io.EOF
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.want.expectedSize > 0 && v.n > v.want.expectedSize {
		return n, fmt.Errorf("more than the expected %d bytes arrived: %w", v.want.expectedSize, apierr.ErrDataLoss)
	}
	if err == io.EOF {
		if v.want.expectedSize > 0 && v.n != v.want.expectedSize {
			return n, fmt.Errorf("%d bytes arrived, %d were expected: %w", v.n, v.want.expectedSize, apierr.ErrDataLoss)
		}
		if d := v.want.expectedDigest; d != "" {
			if got := "sha256:" + hex.EncodeToString(v.h.Sum(nil)); got != d {
				return n, fmt.Errorf("the content's digest is %s, %s was expected: %w", got, d, apierr.ErrDataLoss)
			}
		}
		v.done = true
	}
	return n, err
}

// parseDigest checks a "sha256:<64 lowercase hex>" digest; field names the request field in errors.
func parseDigest(field, d string) error {
	hexPart, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hexPart) != 64 || strings.ToLower(hexPart) != hexPart {
		return apierr.InvalidArgument(field, "%q is not a digest; want sha256:<64 lowercase hex digits>", d)
	}
	if _, err := hex.DecodeString(hexPart); err != nil {
		return apierr.InvalidArgument(field, "%q is not a digest; want sha256:<64 lowercase hex digits>", d)
	}
	return nil
}
