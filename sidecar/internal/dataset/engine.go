package dataset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
)

// Engine is kamld's dataset storage engine over one blob.Store. It keeps no state of its own beyond a cache of
// immutable manifest leaves, so any number of Engines — goroutines of one sidecar, or sidecars in other pods —
// can share a store: every mutable object changes only by compare-and-swap. Safe for concurrent use.
//
// Errors wrap the apierr sentinels (errors.Is works): ErrNotFound, ErrAlreadyExists, ErrFailedPrecondition,
// ErrAborted (a lost race that retrying may win; nothing was lost), ErrDataLoss (content not matching its
// expected digest or size, or a corrupt stored object), ErrOutOfRange, plus whatever the store reports
// (ErrUnavailable…). Bad input is an *apierr.Error of code InvalidArgument naming the request field, using
// the field names of the proto API (dataset_id, path, ref, page_size…).
type Engine struct {
	blobs   blob.Store
	trees   *manifest.Store
	now     func() time.Time
	retries int
	// observer, when set, hears about metadata and snapshot writes (WithObserver).
	observer Observer
	// records caches the dataset records ListRecords read, checked against the store's versions on each call.
	records recordCache

	// refreshAge: a stored blob or chunk older than this that a write reuses is written again, so that
	// garbage collection (whose grace must be at least twice this) cannot take it (see doc.go).
	refreshAge   time.Duration
	manifestOpts []manifest.Option
	// indexBytes and indexEntries: how much a draft may pile up past its last checkpoint (draftindex.go).
	indexBytes   int64
	indexEntries int

	// hookAfterSeal, when set (tests only), runs after CreateSnapshot sealed the draft and before it commits.
	hookAfterSeal func()
	// hookCommit, when set (tests only), runs in a branch commit just "before" and just "after" the pointer
	// moves (the record numbered, not yet committed; committed, not yet finished).
	hookCommit func(stage string)
	// hookRewrite, when set (tests only), runs after reuse wrote an old object again (attempt counts from 0; a
	// later attempt means a sweep took the object after the previous rewrite).
	hookRewrite func(key string, attempt int)
	// hookSweepDelete, when set (tests only), runs between a sweep's re-check of an object and its delete.
	hookSweepDelete func(key string)
}

// Option configures an Engine.
type Option func(*Engine)

// WithClock sets the clock for timestamps (tests).
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// WithRetries sets how many times a write that lost a compare-and-swap race is retried before it reports
// ErrAborted (default 64).
func WithRetries(n int) Option { return func(e *Engine) { e.retries = max(n, 1) } }

// WithManifestOptions passes options to the manifest store (e.g. manifest.WithLeafCache).
func WithManifestOptions(opts ...manifest.Option) Option {
	return func(e *Engine) { e.manifestOpts = append(e.manifestOpts, opts...) }
}

// WithRefreshAge sets how old a stored object must be for a write that reuses it to write it again
// (default DefaultRefreshAge). Garbage collection with this engine requires a grace of at least twice it.
// Tests shorten it to exercise collection in seconds.
func WithRefreshAge(d time.Duration) Option {
	return func(e *Engine) { e.refreshAge = max(d, time.Millisecond) }
}

// WithDraftIndexBytes sets how many bytes of draft entries a draft's current generation may hold before a
// write checkpoints it (default DefaultDraftIndexBytes); tests lower it to exercise checkpoints in small drafts.
func WithDraftIndexBytes(n int64) Option {
	return func(e *Engine) { e.indexBytes = max(n, 1) }
}

// DefaultDraftIndexBytes is the default of WithDraftIndexBytes: about 1,500 entries, which a draft read
// folds in a few milliseconds.
const DefaultDraftIndexBytes = 256 << 10

// defaultIndexBytes is what New uses without WithDraftIndexBytes; the package's tests can lower it for a
// whole run (KAMLD_TEST_DRAFT_INDEX_BYTES), so every test also exercises checkpoints.
var defaultIndexBytes int64 = DefaultDraftIndexBytes

// DefaultRefreshAge is the default of WithRefreshAge. It bounds from below the grace of garbage collection
// (twice it), and how long one write may take between finding its content stored and publishing its entry.
const DefaultRefreshAge = 10 * time.Minute

// New returns an Engine storing everything in blobs.
func New(blobs blob.Store, opts ...Option) *Engine {
	e := &Engine{blobs: blobs, now: time.Now, retries: 64, refreshAge: DefaultRefreshAge, indexBytes: defaultIndexBytes}
	for _, o := range opts {
		o(e)
	}
	e.indexEntries = int(max(e.indexBytes/approxEntryBytes, 1))
	e.trees = manifest.NewStore(blobs, append(e.manifestOpts, manifest.WithReuse(e.reuse))...)
	return e
}

// Blobs returns the store the engine writes to.
func (e *Engine) Blobs() blob.Store { return e.blobs }

func (e *Engine) clock() time.Time { return e.now().UTC() }

// backoff sleeps a little, longer with each attempt and jittered, so racing writers spread out.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(time.Millisecond)*int64(min(attempt+1, 20)))) + 100*time.Microsecond
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func abortedAfter(what string, n int) error {
	return fmt.Errorf("%s: still losing to concurrent changes after %d attempts; retry: %w", what, n, errAborted)
}
