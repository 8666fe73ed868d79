package dataset

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// WriteOptions are the checks and metadata of a WriteFile.
type WriteOptions struct {
	// MediaType of the file; guessed from the path's extension and first bytes when empty.
	MediaType string
	// ExpectedDigest ("sha256:<hex>"), when set, makes the write fail with ErrDataLoss unless the bytes
	// have this digest.
	ExpectedDigest string
	// ExpectedSize, when positive, makes the write fail with ErrDataLoss unless exactly this many bytes
	// arrive.
	ExpectedSize int64
	// CreateOnly fails with ErrAlreadyExists if the path exists in the draft.
	CreateOnly bool
	// IfMatch, when set, fails with ErrAborted unless the draft's file at path has this ETag (the quoted
	// or bare digest).
	IfMatch string
}

func fileInfo(e manifest.Entry) *FileInfo {
	return &FileInfo{Path: e.Path, Size: e.Size, Digest: e.Digest, MediaType: e.MediaType, ModifyTime: e.ModTime, ETag: `"` + e.Digest + `"`}
}

// WriteFile writes r's bytes to path in the dataset's draft, streamed (never held whole). The file becomes
// visible only once all bytes are stored and verified; a reader that fails, a cancelled context or a killed
// process leaves the draft as it was.
func (e *Engine) WriteFile(ctx context.Context, id, path string, r io.Reader, opts WriteOptions) (*FileInfo, error) {
	if err := validatePath("path", path); err != nil {
		return nil, err
	}
	if opts.ExpectedDigest != "" {
		if err := parseDigest("expected_digest", opts.ExpectedDigest); err != nil {
			return nil, err
		}
	}
	if opts.ExpectedSize < 0 {
		return nil, apierr.InvalidArgument("expected_size", "%d is negative", opts.ExpectedSize)
	}
	if opts.CreateOnly && opts.IfMatch != "" {
		return nil, apierr.InvalidArgument("if_match", "cannot be combined with create_only")
	}
	if opts.MediaType != "" && (len(opts.MediaType) > MaxMediaTypeBytes || !mediaTypeRE.MatchString(opts.MediaType)) {
		return nil, apierr.InvalidArgument("media_type", "%q is not a media type (type/subtype)", opts.MediaType)
	}
	d, err := e.open(ctx, access.Writer, "dataset", id)
	if err != nil {
		return nil, err
	}
	var cond condition
	if opts.CreateOnly || opts.IfMatch != "" {
		want := strings.Trim(opts.IfMatch, `"`)
		cond = func(cur *manifest.Entry) error {
			switch {
			case opts.CreateOnly && cur != nil:
				return fmt.Errorf("%q exists in the draft of dataset %q: %w", path, id, apierr.ErrAlreadyExists)
			case want != "" && cur == nil:
				return fmt.Errorf("%q does not exist in the draft, so it cannot match %s: %w", path, opts.IfMatch, apierr.ErrAborted)
			case want != "" && cur.Digest != want:
				return fmt.Errorf("%q was changed: its etag is \"%s\", not %s: %w", path, cur.Digest, opts.IfMatch, apierr.ErrAborted)
			}
			return nil
		}
		// Fail fast, before streaming the bytes; checked again atomically when the entry is written.
		if err := d.checkDraft(ctx, path, cond); err != nil {
			return nil, err
		}
	}
	mt := opts.MediaType
	if mt == "" {
		br := bufio.NewReaderSize(r, sniffLen)
		head, err := br.Peek(sniffLen)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return nil, fmt.Errorf("reading %q: %w", path, err)
		}
		mt = guessMediaType(path, head)
		r = br
	}
	digest, size, err := e.ingest(ctx, r, ingestOptions{expectedDigest: opts.ExpectedDigest, expectedSize: opts.ExpectedSize})
	if err != nil {
		return nil, err
	}
	ent := draftEntry{Path: path, Digest: digest, Size: size, MediaType: mt, ModTime: e.clock()}
	if err := d.putEntries(ctx, []draftEntry{ent}, cond); err != nil {
		return nil, err
	}
	return fileInfo(*ent.change().Entry), nil
}

func (d *ds) checkDraft(ctx context.Context, path string, cond condition) error {
	v, err := d.draftView(ctx)
	if err != nil {
		return err
	}
	cur, ok, err := v.tree.Get(ctx, path)
	if err != nil {
		return err
	}
	if !ok {
		return cond(nil)
	}
	return cond(&cur)
}

// DeleteFile removes path from the draft; with recursive, path may be a folder and everything under it goes.
// ErrNotFound when nothing is at path; ErrFailedPrecondition for a folder without recursive.
func (e *Engine) DeleteFile(ctx context.Context, id, path string, recursive bool) error {
	if err := validatePath("path", path); err != nil {
		return err
	}
	d, err := e.open(ctx, access.Writer, "dataset", id)
	if err != nil {
		return err
	}
	v, err := d.draftView(ctx)
	if err != nil {
		return err
	}
	now := e.clock()
	var gone []draftEntry
	_, isFile, err := v.tree.Get(ctx, path)
	if err != nil {
		return err
	}
	if isFile {
		gone = append(gone, draftEntry{Path: path, Deleted: true, ModTime: now})
	}
	// A path can be a file and a folder at once (object-store semantics): without recursive, the file goes
	// and the folder stays; a folder alone needs recursive.
	folder := path + "/"
	it := v.tree.Scan(folder)
	for ent, ok := it.Next(ctx); ok && isUnder(ent.Path, folder); ent, ok = it.Next(ctx) {
		if !recursive {
			if isFile {
				break
			}
			return fmt.Errorf("%q is a folder of dataset %q; delete it recursively: %w", path, id, apierr.ErrFailedPrecondition)
		}
		gone = append(gone, draftEntry{Path: ent.Path, Deleted: true, ModTime: now})
	}
	if err := it.Err(); err != nil {
		return err
	}
	if len(gone) == 0 {
		return fmt.Errorf("%q in the draft of dataset %q: %w", path, id, apierr.ErrNotFound)
	}
	return d.putEntries(ctx, gone, nil)
}

// treeAt returns the tree a ref names and the resolved snapshot id ("draft" for the draft).
func (d *ds) treeAt(ctx context.Context, field, ref string) (*manifest.Tree, string, error) {
	r, err := parseRef(field, ref)
	if err != nil {
		return nil, "", err
	}
	if r.Kind == resource.RefDraft {
		b := d
		if r.Value != "" { // "exp~draft": another branch's draft
			if b, err = d.onBranch(ctx, r.Value); err != nil {
				return nil, "", err
			}
		}
		v, err := b.draftView(ctx)
		if err != nil {
			return nil, "", err
		}
		return v.tree, r.String(), nil
	}
	rec, err := d.resolve(ctx, field, r)
	if err != nil {
		return nil, "", err
	}
	t, err := d.e.trees.Load(ctx, rec.rootOrEmpty())
	return t, rec.ID, err
}

// StatFile returns the file at path at ref ("" latest, "draft", "v3", id prefix, tag).
func (e *Engine) StatFile(ctx context.Context, id, ref, path string) (*FileInfo, error) {
	if err := validatePath("path", path); err != nil {
		return nil, err
	}
	d, err := e.open(ctx, access.Reader, "dataset", id)
	if err != nil {
		return nil, err
	}
	t, _, err := d.treeAt(ctx, "ref", ref)
	if err != nil {
		return nil, err
	}
	ent, ok, err := t.Get(ctx, path)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%q at %q of dataset %q: %w", path, ref, id, apierr.ErrNotFound)
	}
	return fileInfo(ent), nil
}

// OpenFile opens the file at path at ref for reading length bytes from offset (length 0: to the end). The
// caller closes the reader. ErrOutOfRange when offset is past the end.
func (e *Engine) OpenFile(ctx context.Context, id, ref, path string, offset, length int64) (io.ReadCloser, *FileInfo, error) {
	if offset < 0 {
		return nil, nil, apierr.InvalidArgument("offset", "%d is negative", offset)
	}
	if length < 0 {
		return nil, nil, apierr.InvalidArgument("length", "%d is negative", length)
	}
	fi, err := e.StatFile(ctx, id, ref, path)
	if err != nil {
		return nil, nil, err
	}
	if offset > fi.Size {
		return nil, nil, fmt.Errorf("offset %d is past the end of %q (%d bytes): %w", offset, path, fi.Size, apierr.ErrOutOfRange)
	}
	rc, _, err := e.blobs.Get(ctx, BlobKey(fi.Digest), blob.GetOptions{Offset: offset, Length: length})
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, nil, fmt.Errorf("the content of %q (%s) is missing from the store: %w", path, fi.Digest, apierr.ErrDataLoss)
	}
	if err != nil {
		return nil, nil, err
	}
	return rc, fi, nil
}

// ListFilesOptions select a listing.
type ListFilesOptions struct {
	// Prefix is a folder ("images/") or "" for the root; it must follow the path rules.
	Prefix string
	// Recursive lists every file below Prefix; otherwise sub-folders are folded into Folders.
	Recursive bool
	// Filter, when set, keeps only the entries whose name below Prefix (a file's or folder's name; with
	// Recursive, its path below Prefix) contains it, ignoring case. At most MaxFilterLength bytes.
	Filter string
	Page   Page
}

// MaxFilterLength bounds ListFilesOptions.Filter: a name filter longer than any path segment matches nothing.
const MaxFilterLength = 256

// FileList is one page of a listing.
type FileList struct {
	Files []*FileInfo
	// Folders are the immediate sub-folders (ending in '/') on this page, without Recursive.
	Folders []string
	// NextToken continues the listing; "" on the last page.
	NextToken string
	// Resolved is the snapshot id the ref resolved to, or "draft".
	Resolved string
}

// ListFiles lists files at ref under a prefix, sorted by path; a page holds up to Page.Size files and
// folders together.
func (e *Engine) ListFiles(ctx context.Context, id, ref string, opts ListFilesOptions) (*FileList, error) {
	if err := resource.ValidatePrefix(opts.Prefix); err != nil {
		return nil, apierr.InvalidArgument("prefix", "%v", err)
	}
	match, err := nameFilter(opts.Filter)
	if err != nil {
		return nil, err
	}
	d, err := e.open(ctx, access.Reader, "dataset", id)
	if err != nil {
		return nil, err
	}
	cur, err := opts.Page.open("files", id, ref, opts.Prefix, fmt.Sprint(opts.Recursive), opts.Filter)
	if err != nil {
		return nil, err
	}
	t, resolved, err := d.treeAt(ctx, "ref", ref)
	if err != nil {
		return nil, err
	}
	out := &FileList{Files: []*FileInfo{}, Folders: []string{}, Resolved: resolved}
	from := max(opts.Prefix, nextKey(cur.after))
	n, last := 0, ""
	for {
		it := t.Scan(from)
		seek := ""
		for ent, ok := it.Next(ctx); ok; ent, ok = it.Next(ctx) {
			if !strings.HasPrefix(ent.Path, opts.Prefix) {
				break
			}
			rest := ent.Path[len(opts.Prefix):]
			folder, name := "", rest
			if i := strings.IndexByte(rest, '/'); i >= 0 && !opts.Recursive {
				folder, name = opts.Prefix+rest[:i+1], rest[:i]
				seek = nextKey(folder) // skip the folder's contents
			}
			// The page ends before the next entry that would be shown, so a last page never has a token.
			if match(name) {
				if n == cur.size {
					out.NextToken = cur.next(last)
					return out, nil
				}
				if folder != "" {
					out.Folders = append(out.Folders, folder)
					last = folder
				} else {
					out.Files = append(out.Files, fileInfo(ent))
					last = ent.Path
				}
				n++
			}
			if folder != "" {
				break
			}
		}
		if err := it.Err(); err != nil {
			return nil, err
		}
		if seek == "" {
			return out, nil
		}
		from = seek
	}
}

// nextKey returns the first key after every key that starts with k when k is a folder ("a/" → "a0"), or
// the first key after k itself otherwise.
func nextKey(k string) string {
	if k == "" {
		return ""
	}
	if strings.HasSuffix(k, "/") {
		return k[:len(k)-1] + "0" // '0' follows '/' in byte order
	}
	return k + "\x00"
}

// nameFilter returns the test of ListFilesOptions.Filter: everything for "", else a case-insensitive
// substring match. InvalidArgument for a filter over MaxFilterLength bytes or with control characters.
func nameFilter(filter string) (func(name string) bool, error) {
	if filter == "" {
		return func(string) bool { return true }, nil
	}
	if len(filter) > MaxFilterLength {
		return nil, apierr.InvalidArgument("filter", "is %d bytes long; at most %d", len(filter), MaxFilterLength)
	}
	if i := strings.IndexFunc(filter, unicode.IsControl); i >= 0 {
		return nil, apierr.InvalidArgument("filter", "has a control character at byte %d", i)
	}
	want := strings.ToLower(filter)
	return func(name string) bool { return strings.Contains(strings.ToLower(name), want) }, nil
}
