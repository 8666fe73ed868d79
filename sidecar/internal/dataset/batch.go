package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/kamld/kamld/sidecar/internal/access"
	"sync"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/observe"
)

// Limits of a batch upload (upload_batch.proto).
const (
	MaxBatchFiles     = 10_000
	MaxBatchFileBytes = 1 << 20
	// maxBatchViolations keeps the error about a bad batch small; the first ones name the problem.
	maxBatchViolations = 20
	// batchStoreWorkers is how many contents of a batch are stored at once: the store answers small writes
	// in parallel far faster than in sequence.
	batchStoreWorkers = 8
)

// BatchFile is one file of a batch upload, whole.
type BatchFile struct {
	Path           string
	Content        []byte
	ExpectedDigest string // "sha256:<hex>" or ""
	MediaType      string // guessed when empty
}

// CheckBatchFile checks file i of a batch against the batch's rules and the paths seen before it (which it
// extends). It returns the file's digest and the violations, each named "files[i].<field>"; no violation
// means the file may be stored. It reads nothing but its arguments.
func CheckBatchFile(i int, f BatchFile, seen map[string]int) (string, []apierr.FieldViolation) {
	var v []apierr.FieldViolation
	field := func(name string) string { return fmt.Sprintf("files[%d].%s", i, name) }
	add := func(err error) {
		var e *apierr.Error
		if errors.As(err, &e) {
			v = append(v, e.Violations...)
		}
	}
	if i >= MaxBatchFiles {
		v = append(v, apierr.FieldViolation{Field: "files", Description: fmt.Sprintf("more than %d files in one batch; send the rest in another", MaxBatchFiles)})
	}
	if err := validatePath(field("path"), f.Path); err != nil {
		add(err)
	} else if first, dup := seen[f.Path]; dup {
		v = append(v, apierr.FieldViolation{Field: field("path"), Description: fmt.Sprintf("%s is already files[%d] of this batch", quote(f.Path), first)})
	} else {
		seen[f.Path] = i
	}
	if len(f.Content) > MaxBatchFileBytes {
		v = append(v, apierr.FieldViolation{Field: field("content"), Description: fmt.Sprintf("is %d bytes; a batch takes files of at most %d (write larger ones with WriteFile)", len(f.Content), MaxBatchFileBytes)})
	}
	if f.MediaType != "" && (len(f.MediaType) > MaxMediaTypeBytes || !mediaTypeRE.MatchString(f.MediaType)) {
		v = append(v, apierr.FieldViolation{Field: field("media_type"), Description: quote(f.MediaType) + " is not a media type (type/subtype)"})
	}
	sum := sha256.Sum256(f.Content)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if f.ExpectedDigest != "" {
		if err := parseDigest(field("expected_digest"), f.ExpectedDigest); err != nil {
			add(err)
		} else if f.ExpectedDigest != digest {
			v = append(v, apierr.FieldViolation{Field: field("expected_digest"), Description: fmt.Sprintf("the content's digest is %s, not %s", digest, f.ExpectedDigest)})
		}
	}
	return digest, v
}

// Batch is a batch upload in progress: files are checked and their contents stored as they are added, and
// Commit writes them into the draft as one change. Not safe for concurrent use.
//
// All or nothing: Commit writes no draft entry unless every file added was valid and stored. Contents stored
// by a batch that fails are referenced by nothing and go at the next garbage collection.
type Batch struct {
	e          *Engine
	d          *ds
	ctx        context.Context
	seen       map[string]int
	n          int // files added
	entries    []draftEntry
	violations []apierr.FieldViolation
	unchecked  int // files not checked once maxBatchViolations were found

	sem  chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error // storing contents; guarded by mu
}

// NewBatch starts a batch upload into the draft of dataset id ("id" or "id@branch"): ErrNotFound when either
// does not exist. ctx bounds the contents' stores.
func (e *Engine) NewBatch(ctx context.Context, id string) (*Batch, error) {
	d, err := e.open(ctx, access.Writer, "dataset", id)
	if err != nil {
		return nil, err
	}
	return &Batch{e: e, d: d, ctx: ctx, seen: map[string]int{}, sem: make(chan struct{}, batchStoreWorkers)}, nil
}

// Add checks the next files and starts storing their contents. A bad file does not fail Add: its
// violations are reported by Commit, with those of the other bad files (up to maxBatchViolations), and no
// content is stored after the first one.
func (b *Batch) Add(files ...BatchFile) {
	for _, f := range files {
		i := b.n
		b.n++
		if len(b.violations) >= maxBatchViolations {
			b.unchecked++
			continue
		}
		digest, v := CheckBatchFile(i, f, b.seen)
		if len(v) > 0 {
			b.violations = append(b.violations, v...)
			continue
		}
		mt := f.MediaType
		if mt == "" {
			mt = guessMediaType(f.Path, f.Content[:min(len(f.Content), sniffLen)])
		}
		b.entries = append(b.entries, draftEntry{Path: f.Path, Digest: digest, Size: int64(len(f.Content)), MediaType: mt})
		if len(b.violations) == 0 {
			b.store(digest, f.Content)
		}
	}
}

// store writes one content at its address in the background, a few at a time.
func (b *Batch) store(digest string, content []byte) {
	b.sem <- struct{}{}
	b.wg.Go(func() {
		defer func() { <-b.sem }()
		err := b.e.storeSmall(b.ctx, digest, content) // CheckBatchFile hashed it: no second pass
		observe.Ingested(int64(len(content)), err)
		if err != nil {
			b.mu.Lock()
			b.errs = append(b.errs, err)
			b.mu.Unlock()
		}
	})
}

// Wait waits for the contents being stored: call it before dropping a batch that is not committed, so no
// store outlives the call.
func (b *Batch) Wait() { b.wg.Wait() }

// Commit waits for the contents, then writes every file of the batch into the draft as one change and
// returns their infos in the order added. A bad file (INVALID_ARGUMENT with every violation found), an
// empty batch or a failed store writes nothing.
func (b *Batch) Commit(ctx context.Context) ([]*FileInfo, error) {
	b.wg.Wait()
	if len(b.violations) > 0 {
		v := b.violations
		if b.unchecked > 0 {
			v = append(v, apierr.FieldViolation{Field: "files", Description: fmt.Sprintf("%d more files were not checked", b.unchecked)})
		}
		return nil, apierr.InvalidArguments(v)
	}
	if len(b.entries) == 0 {
		return nil, apierr.InvalidArgument("files", "the batch has no file")
	}
	if err := errors.Join(b.errs...); err != nil {
		return nil, err
	}
	now := b.e.clock()
	out := make([]*FileInfo, len(b.entries))
	for i := range b.entries {
		b.entries[i].ModTime = now
		out[i] = fileInfo(*b.entries[i].change().Entry)
	}
	if err := b.d.putBatch(ctx, b.entries); err != nil {
		return nil, err
	}
	return out, nil
}
