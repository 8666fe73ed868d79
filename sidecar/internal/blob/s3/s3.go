// Package s3 is the blob store on MinIO or any S3-compatible service, through minio-go.
//
// # Conditional writes
//
// Create-only is If-None-Match: * and compare-and-swap is If-Match: "<etag>" on the PUT, which MinIO (since
// 2024) and AWS S3 evaluate atomically under the object's lock. A failed condition is HTTP 412
// PreconditionFailed (apierr.ErrAlreadyExists for create-only, apierr.ErrAborted for compare-and-swap); an
// If-Match on a missing object is 404 NoSuchKey (apierr.ErrAborted).
//
// # Streaming
//
// Put reads the content in parts of a fixed size (WithPartSize, default 8 MiB) into one reused buffer, so an
// upload of any length holds one part in memory. Content that fits in one part goes up in a single PUT;
// longer content becomes a multipart upload driven here rather than by minio-go's PutObject, because
// minio-go drops the If-Match/If-None-Match headers from CompleteMultipartUpload: MinIO would then check the
// condition only when the upload starts, and a writer that committed meanwhile would be overwritten. Sending
// them on Complete makes the check atomic with the commit. 10,000 parts bound an object at 10,000 × part size.
//
// # Versions
//
// An object's version is its ETag: the MD5 of the content for single-part uploads, a digest of the parts'
// MD5s for multipart ones. Versions are thus content digests (see blob.Info.Version).
//
// # Outages
//
// Transport failures and 5xx answers are apierr.ErrUnavailable with the endpoint in the message; so is a
// rejected credential or a missing bucket, which also make the store unusable. Idempotent requests are
// retried a few times with backoff before giving up, so a stopped MinIO is reported within about two
// seconds, and service resumes by itself once it is back; conditional commits are sent once (see
// committer).
//
// # Not supported
//
// A conditional Delete: neither MinIO nor minio-go has preconditions on DELETE. It returns
// apierr.ErrUnimplemented and deletes nothing.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/observe"
)

// Config says where the store is. It carries a credential: never log it.
type Config struct {
	Endpoint  string // host:port
	Secure    bool   // TLS
	Region    string // may be empty for MinIO
	Bucket    string
	Prefix    string // key prefix inside the bucket; may be empty
	AccessKey string
	SecretKey string
}

// Store is a blob store in one bucket (under an optional key prefix) of an S3 endpoint.
type Store struct {
	client   *minio.Client // idempotent requests: retried a few times
	once     *minio.Client // conditional commits and Health: never retried (see committer)
	core     minio.Core
	bucket   string
	prefix   string // "" or ending in '/'
	location string
	partSize int64
	parts    sync.Pool // *[]byte of partSize
	tr       *http.Transport
}

var _ blob.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// DefaultPartSize is the part size of streamed uploads: the memory one upload holds, and 1/10,000 of the
// largest object (about 78 GiB).
const DefaultPartSize = 8 << 20

// minPartSize is S3's smallest part (all but the last).
const minPartSize = 5 << 20

// maxParts is S3's most parts in one upload.
const maxParts = 10000

// WithPartSize sets the part size of streamed uploads (at least 5 MiB, S3's minimum).
func WithPartSize(n int64) Option { return func(s *Store) { s.partSize = max(n, minPartSize) } }

// New connects to the endpoint and creates the bucket if it does not exist. It fails with
// apierr.ErrUnavailable when the endpoint cannot be reached or refuses the credentials.
func New(ctx context.Context, cfg Config, opts ...Option) (*Store, error) {
	if cfg.Endpoint == "" {
		return nil, apierr.InvalidArgument("blob.s3.endpoint", "must be set (host:port)")
	}
	if cfg.Bucket == "" {
		return nil, apierr.InvalidArgument("blob.s3.bucket", "must be set")
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		if err := blob.ValidateKey(prefix); err != nil {
			return nil, apierr.InvalidArgument("blob.s3.prefix", "%v", err)
		}
		prefix += "/"
	}
	scheme := "http"
	if cfg.Secure {
		scheme = "https"
	}
	s := &Store{
		bucket:   cfg.Bucket,
		prefix:   prefix,
		location: scheme + "://" + cfg.Endpoint + "/" + cfg.Bucket + "/" + prefix,
		partSize: DefaultPartSize,
	}
	for _, o := range opts {
		o(s)
	}
	s.parts.New = func() any { b := make([]byte, s.partSize); return &b }

	tr, err := minio.DefaultTransport(cfg.Secure)
	if err != nil {
		return nil, fmt.Errorf("s3 store: %w", err)
	}
	// A dead host should fail fast (the default is 30 s); connection refused fails at once anyway.
	tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	s.tr = tr
	newClient := func(retries int) (*minio.Client, error) {
		return minio.New(cfg.Endpoint, &minio.Options{
			Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
			Secure:     cfg.Secure,
			Region:     cfg.Region,
			Transport:  observe.HTTPTransport(tr),
			MaxRetries: retries,
		})
	}
	// Four attempts with minio-go's backoff (200 ms unit, 1 s cap) ride out a blip of about a second.
	if s.client, err = newClient(4); err != nil {
		return nil, apierr.InvalidArgument("blob.s3.endpoint", "%v", err)
	}
	if s.once, err = newClient(1); err != nil {
		return nil, apierr.InvalidArgument("blob.s3.endpoint", "%v", err)
	}
	s.core = minio.Core{Client: s.client}

	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return nil, s.mapErr("open bucket", "", err)
	}
	if !exists {
		err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if code := minio.ToErrorResponse(err).Code; err != nil && code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
			return nil, s.mapErr("create bucket", "", err)
		}
	}
	return s, nil
}

// Name implements backend.Backend.
func (s *Store) Name() string { return "s3" }

// Location implements backend.Backend: endpoint URL, bucket and prefix, never credentials.
func (s *Store) Location() string { return s.location }

// Health checks that the bucket exists, with one request and no retries, so it answers within its deadline.
func (s *Store) Health(ctx context.Context) error {
	exists, err := s.once.BucketExists(ctx, s.bucket)
	if err != nil {
		return s.mapErr("checking the bucket", "", err)
	}
	if !exists {
		return fmt.Errorf("bucket %q does not exist at %s: %w", s.bucket, s.location, apierr.ErrUnavailable)
	}
	return nil
}

// Close releases idle connections.
func (s *Store) Close() error {
	s.tr.CloseIdleConnections()
	return nil
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, err
	}
	if err := opts.Validate(); err != nil {
		return blob.Info{}, err
	}
	po := minio.PutObjectOptions{ContentType: "application/octet-stream", DisableMultipart: true}
	if opts.IfNoneMatch {
		po.SetMatchETagExcept("*")
	}
	if opts.IfMatch != "" {
		po.SetMatchETag(opts.IfMatch)
	}
	src := blob.NewSourceReader(ctx, r)

	// Most objects are small (pointers, manifest chunks, small files): read them into a small buffer, so
	// many concurrent small writes do not each hold a whole part.
	smallp := smallBuffers.Get().(*[]byte)
	n, err := io.ReadFull(src, *smallp)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		defer smallBuffers.Put(smallp)
		return s.putSingle(ctx, key, (*smallp)[:n], po, opts)
	case err != nil:
		smallBuffers.Put(smallp)
		return blob.Info{}, src.Failure(key)
	}
	bufp := s.parts.Get().(*[]byte)
	defer s.parts.Put(bufp)
	buf := *bufp
	copy(buf, (*smallp)[:n])
	smallBuffers.Put(smallp)
	m, err := io.ReadFull(src, buf[n:])
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return s.putSingle(ctx, key, buf[:n+m], po, opts)
	case err != nil:
		return blob.Info{}, src.Failure(key)
	}
	return s.putMultipart(ctx, key, src, buf, po, opts)
}

// smallBuffers hold the first bytes of every Put.
var smallBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// putSingle uploads content that fits in one part with one PUT.
func (s *Store) putSingle(ctx context.Context, key string, data []byte, po minio.PutObjectOptions, opts blob.PutOptions) (blob.Info, error) {
	ui, err := s.committer(opts).PutObject(ctx, s.bucket, s.prefix+key, bytes.NewReader(data), int64(len(data)), po)
	if err != nil {
		return blob.Info{}, s.putErr(key, err, opts)
	}
	return blob.Info{Key: key, Size: ui.Size, Version: trimETag(ui.ETag), ModTime: modTime(ui.LastModified)}, nil
}

// putMultipart streams content longer than one part; buf holds the first part.
func (s *Store) putMultipart(ctx context.Context, key string, src *blob.SourceReader, buf []byte, po minio.PutObjectOptions, opts blob.PutOptions) (info blob.Info, err error) {
	name := s.prefix + key
	// Initiating carries the condition too: MinIO checks it there, so a doomed upload fails before sending data.
	uploadID, err := s.core.NewMultipartUpload(ctx, s.bucket, name, po)
	if err != nil {
		return blob.Info{}, s.putErr(key, err, opts)
	}
	defer func() {
		if err != nil {
			// Abort even when ctx is cancelled, so the parts do not linger in the bucket.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_ = s.core.AbortMultipartUpload(actx, s.bucket, name, uploadID)
			cancel()
		}
	}()

	var parts []minio.CompletePart
	var size int64
	n, last := len(buf), false
	for n > 0 {
		if len(parts) == maxParts {
			return blob.Info{}, fmt.Errorf("put %q: the content is longer than %d parts of %d bytes: %w", key, maxParts, s.partSize, apierr.ErrResourceExhausted)
		}
		part, perr := s.core.PutObjectPart(ctx, s.bucket, name, uploadID, len(parts)+1, bytes.NewReader(buf[:n]), int64(n), minio.PutObjectPartOptions{})
		if perr != nil {
			return blob.Info{}, s.putErr(key, perr, opts)
		}
		parts = append(parts, minio.CompletePart{PartNumber: part.PartNumber, ETag: part.ETag})
		size += int64(n)
		if last {
			break
		}
		var rerr error
		n, rerr = io.ReadFull(src, buf)
		switch {
		case errors.Is(rerr, io.EOF):
			n = 0
		case errors.Is(rerr, io.ErrUnexpectedEOF):
			last = true
		case rerr != nil:
			return blob.Info{}, src.Failure(key)
		}
	}

	ui, err := minio.Core{Client: s.committer(opts)}.CompleteMultipartUpload(ctx, s.bucket, name, uploadID, parts, po)
	if err != nil {
		return blob.Info{}, s.putErr(key, err, opts)
	}
	return blob.Info{Key: key, Size: size, Version: trimETag(ui.ETag), ModTime: modTime(ui.LastModified)}, nil
}

// committer is the client that commits a Put. An unconditional write is idempotent, so minio-go may retry
// it when an answer is lost. A conditional one is not: if the first attempt committed, the retry fails its
// own condition and a write that happened would be reported as a lost race (and a compare-and-swap loop would
// apply its change twice). So conditional commits are sent once; a lost answer is ErrUnavailable, which the
// Store contract says may or may not have committed.
func (s *Store) committer(opts blob.PutOptions) *minio.Client {
	if opts.IfNoneMatch || opts.IfMatch != "" {
		return s.once
	}
	return s.client
}

// putErr maps a failed conditional write to the condition that failed.
func (s *Store) putErr(key string, err error, opts blob.PutOptions) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == minio.PreconditionFailed && opts.IfNoneMatch:
		return fmt.Errorf("put %q: the object %w", key, apierr.ErrAlreadyExists)
	case resp.Code == minio.PreconditionFailed:
		return fmt.Errorf("put %q if version %s: the version has changed: %w", key, opts.IfMatch, apierr.ErrAborted)
	case resp.Code == minio.NoSuchKey && opts.IfMatch != "":
		return fmt.Errorf("put %q if version %s: the object no longer exists: %w", key, opts.IfMatch, apierr.ErrAborted)
	}
	return s.mapErr("put", key, err)
}

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, key string, opts blob.GetOptions) (io.ReadCloser, blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, blob.Info{}, err
	}
	if err := opts.Validate(); err != nil {
		return nil, blob.Info{}, err
	}
	var gopts minio.GetObjectOptions
	switch {
	case opts.Length > 0:
		_ = gopts.SetRange(opts.Offset, opts.Offset+opts.Length-1)
	case opts.Offset > 0:
		_ = gopts.SetRange(opts.Offset, 0)
	}
	// Core.GetObject is one GET whose body is the stream: the bytes and the Info come from one version, and
	// a missing object fails here rather than at the first Read.
	rc, oi, hdr, err := s.core.GetObject(ctx, s.bucket, s.prefix+key, gopts)
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.InvalidRange {
			// S3 refuses a range starting at the end; an empty read there is what a stream reader expects.
			info, serr := s.Stat(ctx, key)
			if serr != nil {
				return nil, blob.Info{}, serr
			}
			if opts.Offset == info.Size {
				return io.NopCloser(bytes.NewReader(nil)), info, nil
			}
			return nil, blob.Info{}, fmt.Errorf("get %q: offset %d is past the end of the object (%d bytes): %w", key, opts.Offset, info.Size, apierr.ErrOutOfRange)
		}
		return nil, blob.Info{}, s.mapErr("get", key, err)
	}
	info := blob.Info{Key: key, Size: oi.Size, Version: trimETag(oi.ETag), ModTime: oi.LastModified}
	if total, ok := contentRangeTotal(hdr.Get("Content-Range")); ok {
		info.Size = total
	}
	return &body{rc: rc, s: s, key: key}, info, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, s.mapErr("stat", key, err)
	}
	return blob.Info{Key: key, Size: oi.Size, Version: trimETag(oi.ETag), ModTime: oi.LastModified}, nil
}

// List implements blob.Store with ListObjectsV2 (StartAfter, MaxKeys), which S3 answers in key order.
func (s *Store) List(ctx context.Context, opts blob.ListOptions) (blob.Page, error) {
	limit, err := opts.Validate()
	if err != nil {
		return blob.Page{}, err
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lopts := minio.ListObjectsOptions{Prefix: s.prefix + opts.Prefix, Recursive: true, MaxKeys: min(limit+1, blob.MaxListLimit)}
	if opts.StartAfter != "" {
		lopts.StartAfter = s.prefix + opts.StartAfter
	}
	ch := s.client.ListObjects(lctx, s.bucket, lopts)
	defer func() {
		cancel()
		for range ch { // let minio-go's lister goroutine finish
		}
	}()
	var page blob.Page
	for oi := range ch {
		if oi.Err != nil {
			return blob.Page{}, s.mapErr("list", opts.Prefix, oi.Err)
		}
		key := strings.TrimPrefix(oi.Key, s.prefix)
		if blob.ValidateKey(key) != nil {
			continue // e.g. a "folder/" marker made by another tool: no key of ours can name it
		}
		if len(page.Objects) == limit {
			page.More = true
			break
		}
		page.Objects = append(page.Objects, blob.Info{Key: key, Size: oi.Size, Version: trimETag(oi.ETag), ModTime: oi.LastModified})
	}
	return page, nil
}

// Delete implements blob.Store. S3 deletes are idempotent: a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string, opts blob.DeleteOptions) error {
	if err := blob.ValidateKey(key); err != nil {
		return err
	}
	if opts.IfMatch != "" {
		return fmt.Errorf("delete %q if version %s: S3 and MinIO cannot delete conditionally; use a compare-and-swap put of a tombstone: %w", key, opts.IfMatch, apierr.ErrUnimplemented)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		return s.mapErr("delete", key, err)
	}
	return nil
}

// mapErr turns a minio-go error into one wrapping an apierr sentinel, naming the endpoint where it helps.
func (s *Store) mapErr(op, key string, err error) error {
	what := op
	if key != "" {
		what = fmt.Sprintf("%s %q", op, key)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case minio.NoSuchKey:
		return fmt.Errorf("%s: the object %w", what, apierr.ErrNotFound)
	case minio.NoSuchBucket:
		return fmt.Errorf("%s: bucket %q does not exist at %s: %w", what, s.bucket, s.location, apierr.ErrUnavailable)
	case minio.PreconditionFailed:
		return fmt.Errorf("%s: %w", what, apierr.ErrAborted)
	case minio.InvalidRange:
		return fmt.Errorf("%s: %w", what, apierr.ErrOutOfRange)
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken":
		return fmt.Errorf("%s: the S3 endpoint %s refused kamld's credentials (%s: %s); check blob.s3.access_key and blob.s3.secret_key: %w",
			what, s.location, resp.Code, resp.Message, apierr.ErrUnavailable)
	case "XMinioStorageFull":
		return fmt.Errorf("%s: the S3 endpoint %s is out of space: %w", what, s.location, apierr.ErrResourceExhausted)
	case "":
		// Not an S3 answer: the request did not get through (refused, reset, timed out, DNS).
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s: the S3 endpoint %s is unreachable: %w: %w", what, s.location, apierr.ErrUnavailable, err)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return fmt.Errorf("%s: the S3 endpoint %s is not serving (%d %s: %s): %w", what, s.location, resp.StatusCode, resp.Code, resp.Message, apierr.ErrUnavailable)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// body is a Get's stream; it maps a transport failure mid-read to ErrUnavailable like every other call.
type body struct {
	rc  io.ReadCloser
	s   *Store
	key string
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		err = b.s.mapErr("read", b.key, err)
	}
	return n, err
}

func (b *body) Close() error { return b.rc.Close() }

func trimETag(etag string) string { return strings.Trim(etag, `"`) }

// modTime is the store's time when it reported one; a PUT's answer may not carry it.
func modTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// contentRangeTotal parses the total size from "bytes 0-9/100".
func contentRangeTotal(h string) (int64, bool) {
	i := strings.LastIndexByte(h, '/')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(h[i+1:], 10, 64)
	return n, err == nil
}

var _ blob.Presigner = (*Store)(nil)

// PresignGet implements blob.Presigner.
func (s *Store) PresignGet(ctx context.Context, key string, ttl time.Duration, downloadName string) (string, error) {
	if err := blob.ValidateKey(key); err != nil {
		return "", err
	}
	params := url.Values{}
	if downloadName != "" {
		params.Set("response-content-disposition", "attachment; filename="+strconv.Quote(downloadName))
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, s.prefix+key, ttl, params)
	if err != nil {
		return "", fmt.Errorf("presign get %q: %w", key, err)
	}
	return u.String(), nil
}

// PresignPut implements blob.Presigner.
func (s *Store) PresignPut(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := blob.ValidateKey(key); err != nil {
		return "", err
	}
	u, err := s.client.PresignedPutObject(ctx, s.bucket, s.prefix+key, ttl)
	if err != nil {
		return "", fmt.Errorf("presign put %q: %w", key, err)
	}
	return u.String(), nil
}
