package tabular

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Budget bounds the extraction work one call does, so that taking a snapshot of a huge dataset stays fast: what
// does not fit is recorded as pending and done by later calls (each read of the snapshot makes progress).
type Budget struct {
	// MaxFileBytes skips files larger than this (they stay pending; 0: DefaultMaxFileBytes).
	MaxFileBytes int64
	// MaxTime stops starting new extractions after this long (0: DefaultMaxTime).
	MaxTime time.Duration
}

// Budget defaults.
const (
	DefaultMaxFileBytes = 1 << 30
	DefaultMaxTime      = 5 * time.Second
)

// Catalog keeps the tabular files of dataset states with their schemas. For a snapshot it computes them once,
// from its parent's and the diff between the two — so the cost follows what changed — and stores them in the
// blob store under derived/tables/<manifest root>: derived data, keyed by content, shared by every snapshot with
// the same files, and rebuildable from the store. The draft is computed on demand from the head and its diff,
// not stored. Safe for concurrent use.
type Catalog struct {
	engine *dataset.Engine
	ex     *Extractor
	budget Budget
	log    *slog.Logger

	mu  sync.Mutex
	mem map[string]*FileSchema // digest/format → schema, bounded (memLimit)
}

const memLimit = 4096

// CatalogOption configures a Catalog.
type CatalogOption func(*Catalog)

// WithBudget sets the extraction budget per call.
func WithBudget(b Budget) CatalogOption { return func(c *Catalog) { c.budget = b } }

// WithLogger sets the logger for extraction failures.
func WithLogger(l *slog.Logger) CatalogOption { return func(c *Catalog) { c.log = l } }

// NewCatalog returns a Catalog over engine's datasets, extracting with ex.
func NewCatalog(engine *dataset.Engine, ex *Extractor, opts ...CatalogOption) *Catalog {
	c := &Catalog{engine: engine, ex: ex, log: slog.Default(), mem: map[string]*FileSchema{}}
	for _, o := range opts {
		o(c)
	}
	if c.budget.MaxFileBytes <= 0 {
		c.budget.MaxFileBytes = DefaultMaxFileBytes
	}
	if c.budget.MaxTime <= 0 {
		c.budget.MaxTime = DefaultMaxTime
	}
	return c
}

// Extractor returns the catalog's extractor.
func (c *Catalog) Extractor() *Extractor { return c.ex }

// record is the stored form of a snapshot's tabular files.
type record struct {
	Version int    `json:"v"`
	Files   []File `json:"files"`
}

func derivedKey(root string) string {
	h := strings.TrimPrefix(root, "sha256:")
	if len(h) < 2 {
		h = "empty"
	}
	return "derived/tables/" + h[:2] + "/" + h
}

// State is a dataset state's tabular files, by resolved ref.
type State struct {
	Dataset string
	// Ref is the ref asked for ("" latest); Snapshot the resolved snapshot, nil for the draft.
	Ref      string
	Snapshot *dataset.Snapshot
	Files    []File
}

// SnapshotFiles returns the tabular files of snapshot s of dataset id, computing and storing them when needed.
func (c *Catalog) SnapshotFiles(ctx context.Context, id string, s *dataset.Snapshot) ([]File, error) {
	rec, ok, err := c.load(ctx, s.ManifestRoot)
	if err != nil {
		return nil, err
	}
	if !ok {
		files, err := c.fromParent(ctx, id, s)
		if err != nil {
			return nil, err
		}
		rec = record{Version: 1, Files: files}
	} else if !hasPending(rec.Files) {
		return rec.Files, nil
	}
	c.extract(ctx, rec.Files)
	if err := c.store(ctx, s.ManifestRoot, rec); err != nil {
		return nil, err
	}
	return rec.Files, nil
}

// At returns the tabular files of dataset id at ref ("" latest, "draft", "v3", id prefix, tag, branch,
// "<branch>~draft").
func (c *Catalog) At(ctx context.Context, id, ref string) (*State, error) {
	if r, err := resource.ParseRef(ref); err == nil && r.Kind == resource.RefDraft {
		scoped := id // "draft" is main's; "exp~draft" is branch exp's, which the engine reaches as "iris@exp"
		if r.Value != "" {
			scoped = id + "@" + r.Value
		}
		files, err := c.draft(ctx, scoped)
		if err != nil {
			return nil, err
		}
		return &State{Dataset: id, Ref: ref, Files: files}, nil
	}
	s, err := c.engine.GetSnapshot(ctx, id, ref)
	if err != nil {
		return nil, err
	}
	files, err := c.SnapshotFiles(ctx, id, s)
	if err != nil {
		return nil, err
	}
	return &State{Dataset: id, Ref: ref, Snapshot: s, Files: files}, nil
}

func (c *Catalog) draft(ctx context.Context, id string) ([]File, error) {
	var base []File
	head, err := c.engine.GetSnapshot(ctx, id, "")
	switch {
	case errors.Is(err, apierr.ErrNotFound):
		if _, err := c.engine.GetDataset(ctx, id); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		if base, err = c.SnapshotFiles(ctx, id, head); err != nil {
			return nil, err
		}
	}
	files, err := c.applyDiff(ctx, id, dataset.DraftRef, base)
	if err != nil {
		return nil, err
	}
	c.extract(ctx, files)
	return files, nil
}

// fromParent derives s's files from its parent's stored ones and the diff; when the parent has none stored
// (a store written before extraction existed), from a listing of s.
func (c *Catalog) fromParent(ctx context.Context, id string, s *dataset.Snapshot) ([]File, error) {
	var base []File
	if s.Parent != "" {
		parent, err := c.engine.GetSnapshot(ctx, id, s.Parent)
		if err != nil {
			return nil, err
		}
		rec, ok, err := c.load(ctx, parent.ManifestRoot)
		if err != nil {
			return nil, err
		}
		if !ok {
			return c.list(ctx, id, s.ID)
		}
		base = rec.Files
	}
	return c.applyDiff(ctx, id, s.ID, base)
}

// applyDiff applies the changes between to's parent state (the head for the draft) and to onto base. Files
// whose content was already extracted (in base, or in memory) keep their schema without any work.
func (c *Catalog) applyDiff(ctx context.Context, id, to string, base []File) ([]File, error) {
	byPath := map[string]File{}
	byDigest := map[string]*FileSchema{}
	for _, f := range base {
		byPath[f.Path] = f
		if f.Schema != nil {
			byDigest[f.Digest+"/"+string(f.Format)] = f.Schema
		}
	}
	page := dataset.Page{Size: dataset.MaxPageSize}
	for {
		res, err := c.engine.Diff(ctx, id, dataset.DiffOptions{To: to, Page: page})
		if err != nil {
			return nil, err
		}
		for _, ch := range res.Changes {
			delete(byPath, ch.Path)
			if ch.To == nil {
				continue
			}
			if f, ok := newFile(ch.To); ok {
				f.Schema = byDigest[f.Digest+"/"+string(f.Format)]
				byPath[f.Path] = f
			}
		}
		if res.NextToken == "" {
			break
		}
		page.Token = res.NextToken
	}
	return sortedFiles(byPath), nil
}

// list collects the tabular files of snapshot ref by listing all its files.
func (c *Catalog) list(ctx context.Context, id, ref string) ([]File, error) {
	byPath := map[string]File{}
	page := dataset.Page{Size: dataset.MaxPageSize}
	for {
		res, err := c.engine.ListFiles(ctx, id, ref, dataset.ListFilesOptions{Recursive: true, Page: page})
		if err != nil {
			return nil, err
		}
		for _, fi := range res.Files {
			if f, ok := newFile(fi); ok {
				byPath[f.Path] = f
			}
		}
		if res.NextToken == "" {
			break
		}
		page.Token = res.NextToken
	}
	return sortedFiles(byPath), nil
}

func newFile(fi *dataset.FileInfo) (File, bool) {
	f, ok := DetectFormat(fi.Path, fi.MediaType)
	if !ok {
		return File{}, false
	}
	return File{Path: fi.Path, Digest: fi.Digest, Size: fi.Size, Format: f}, true
}

func sortedFiles(m map[string]File) []File {
	out := make([]File, 0, len(m))
	for _, f := range m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func hasPending(files []File) bool {
	for _, f := range files {
		if f.Schema == nil && f.Error == "" {
			return true
		}
	}
	return false
}

// extract fills in the schemas of pending files, within the budget; what does not fit stays pending. A file
// that cannot be parsed records why and is not tried again (its content never changes).
func (c *Catalog) extract(ctx context.Context, files []File) {
	deadline := time.Now().Add(c.budget.MaxTime)
	for i := range files {
		f := &files[i]
		if f.Schema != nil || f.Error != "" {
			continue
		}
		key := f.Digest + "/" + string(f.Format)
		if s := c.remembered(key); s != nil {
			f.Schema = s
			continue
		}
		if f.Size > c.budget.MaxFileBytes || time.Now().After(deadline) || ctx.Err() != nil {
			continue
		}
		s, err := c.ex.Extract(ctx, f.Format, f.Digest, f.Size)
		switch {
		case errors.Is(err, apierr.ErrFailedPrecondition):
			f.Error = err.Error()
		case err != nil:
			c.log.WarnContext(ctx, "schema extraction failed; will retry", "path", f.Path, "digest", f.Digest, "err", err)
		default:
			f.Schema = s
			c.remember(key, s)
		}
	}
}

func (c *Catalog) remembered(key string) *FileSchema {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mem[key]
}

func (c *Catalog) remember(key string, s *FileSchema) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.mem) >= memLimit {
		for k := range c.mem { // drop an arbitrary entry: a cache miss costs one extraction
			delete(c.mem, k)
			break
		}
	}
	c.mem[key] = s
}

func (c *Catalog) load(ctx context.Context, root string) (record, bool, error) {
	var rec record
	rc, _, err := c.engine.Blobs().Get(ctx, derivedKey(root), blob.GetOptions{})
	if errors.Is(err, apierr.ErrNotFound) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(&rec); err != nil || rec.Version != 1 {
		// Derived data: a corrupt or foreign record is recomputed, not an error.
		c.log.WarnContext(ctx, "ignoring unreadable derived table record", "root", root, "err", err)
		return record{}, false, nil
	}
	return rec, true, nil
}

func (c *Catalog) store(ctx context.Context, root string, rec record) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encoding table record: %w", err)
	}
	_, err = c.engine.Blobs().Put(ctx, derivedKey(root), bytes.NewReader(data), blob.PutOptions{})
	return err
}
