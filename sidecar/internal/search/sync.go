package search

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/observe"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// DirtyPrefix is where the markers of index updates not yet applied live in the store.
const DirtyPrefix = "index/dirty/"

// Syncer applies dataset writes to the index, durably: see the package documentation.
type Syncer struct {
	store    blob.Store
	ix       index.Index
	docs     *Documents
	schema   SchemaFunc
	log      *slog.Logger
	timeout  time.Duration
	interval time.Duration
	sweep    time.Duration
	kick     chan struct{}
	mu       sync.Mutex // one catch-up at a time
	// stripes serialise syncs of one dataset within this process: each sync reads the store after the write
	// that triggered it finished, so the later of two racing syncs writes the newer state.
	stripes [64]sync.Mutex
}

// SyncOption configures a Syncer.
type SyncOption func(*Syncer)

// WithSchema supplies columns and row counts for documents (see SchemaFunc).
func WithSchema(f SchemaFunc) SyncOption { return func(s *Syncer) { s.schema = f } }

// WithSyncLogger sets the logger (default slog.Default()).
func WithSyncLogger(l *slog.Logger) SyncOption { return func(s *Syncer) { s.log = l } }

// WithRetryInterval sets how often pending markers are retried after a failure (default 2 s), and how often
// the store is swept for markers left by other sidecars (default 1 min).
func WithRetryInterval(retry, sweep time.Duration) SyncOption {
	return func(s *Syncer) { s.interval, s.sweep = retry, sweep }
}

// NewSyncer keeps ix in step with the datasets in store. Pass Observer to dataset.WithObserver, and run Run.
func NewSyncer(store blob.Store, ix index.Index, opts ...SyncOption) *Syncer {
	s := &Syncer{store: store, ix: ix, log: slog.Default(), timeout: 10 * time.Second, interval: 2 * time.Second,
		sweep: time.Minute, kick: make(chan struct{}, 1)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Observer is the dataset.Observer to build the engine with (dataset.WithObserver(syncer.Observer)).
func (s *Syncer) Observer(e *dataset.Engine) dataset.Observer {
	s.docs = NewDocuments(e, s.schema)
	return s
}

// Documents returns the document builder (set once the engine is built).
func (s *Syncer) Documents() *Documents { return s.docs }

// Changing implements dataset.Observer: the marker goes to the store before the write, so a crash anywhere
// after it leaves work for the catch-up rather than a stale index.
func (s *Syncer) Changing(ctx context.Context, id string) (func(), error) {
	if resource.ValidateDatasetID(id) != nil {
		return func() {}, nil // the write will refuse the id itself
	}
	key := DirtyPrefix + id + "/" + randomHex()
	if _, err := s.store.Put(ctx, key, strings.NewReader(""), blob.PutOptions{}); err != nil {
		return nil, fmt.Errorf("recording the index update: %w", err)
	}
	return func() {
		// As the sidecar: the document holds the dataset as it is, whatever the writer may read.
		ctx, cancel := context.WithTimeout(auth.AsSidecar(context.WithoutCancel(ctx)), s.timeout)
		defer cancel()
		if err := s.Sync(ctx, id); err != nil {
			s.log.Warn("index update deferred: the catch-up will retry", "dataset", id, "error", err)
			s.wake()
			return
		}
		if err := s.store.Delete(ctx, key, blob.DeleteOptions{}); err != nil {
			s.log.Warn("index marker not removed (harmless: it is retried)", "key", key, "error", err)
		}
	}, nil
}

func (s *Syncer) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Sync writes dataset id's current document to the index, or removes it if the dataset is gone.
func (s *Syncer) Sync(ctx context.Context, id string) error {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	stripe := &s.stripes[h.Sum32()%uint32(len(s.stripes))]
	stripe.Lock()
	defer stripe.Unlock()
	doc, err := s.docs.Build(ctx, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return s.ix.Delete(ctx, id)
	}
	if err != nil {
		return err
	}
	return s.ix.Upsert(ctx, doc)
}

// CatchUp applies every pending marker: each dataset with markers is synced once, then the markers seen
// before the sync are removed. It returns how many datasets it synced and the first error.
func (s *Syncer) CatchUp(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pending, err := s.pending(ctx)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	if err := s.ix.Health(ctx); err != nil {
		return 0, err
	}
	n := 0
	for id, keys := range pending {
		if err := s.Sync(ctx, id); err != nil {
			return n, fmt.Errorf("dataset %s: %w", id, err)
		}
		n++
		for _, k := range keys {
			if err := s.store.Delete(ctx, k, blob.DeleteOptions{}); err != nil && !errors.Is(err, apierr.ErrNotFound) {
				return n, err
			}
		}
	}
	return n, nil
}

// pending lists the markers, grouped by dataset.
func (s *Syncer) pending(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	after := ""
	n, oldest := 0, time.Time{}
	for {
		p, err := s.store.List(ctx, blob.ListOptions{Prefix: DirtyPrefix, StartAfter: after})
		if err != nil {
			return nil, err
		}
		for _, o := range p.Objects {
			after = o.Key
			id, _, ok := strings.Cut(strings.TrimPrefix(o.Key, DirtyPrefix), "/")
			if ok {
				out[id] = append(out[id], o.Key)
				n++
				if oldest.IsZero() || o.ModTime.Before(oldest) {
					oldest = o.ModTime
				}
			}
		}
		if !p.More || len(p.Objects) == 0 {
			observe.IndexLag(n, oldest) // the catch-up lag operators alert on (docs/observability.md)
			return out, nil
		}
	}
}

// Run catches up at start, then whenever a write could not update the index (retrying every retry interval
// until it succeeds), and sweeps for other sidecars' markers every sweep interval; until ctx ends.
func (s *Syncer) Run(ctx context.Context) {
	failing := true // the first pass runs at once
	retry := time.NewTicker(s.interval)
	defer retry.Stop()
	sweep := time.NewTicker(s.sweep)
	defer sweep.Stop()
	for {
		if failing {
			n, err := s.CatchUp(ctx)
			failing = err != nil
			switch {
			case err != nil && ctx.Err() == nil:
				s.log.Debug("index catch-up pending", "error", err)
			case n > 0:
				s.log.Info("index caught up", "datasets", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
			failing = true
		case <-retry.C:
		case <-sweep.C:
			failing = true
		}
	}
}

// Reindex rebuilds the index from the store: a new generation is filled with every dataset's document and
// swapped in, then pending markers are applied. It returns the number of datasets indexed.
func (s *Syncer) Reindex(ctx context.Context) (int, error) {
	n := 0
	err := s.ix.Rebuild(ctx, func(ctx context.Context, w index.Writer) error {
		token := ""
		for {
			list, next, err := s.docs.engine.ListDatasets(ctx, dataset.Page{Size: reindexBatch, Token: token})
			if err != nil {
				return err
			}
			docs := make([]*index.Document, 0, len(list))
			for _, d := range list {
				doc, err := s.docs.FromDataset(ctx, d)
				if err != nil {
					return fmt.Errorf("dataset %s: %w", d.ID, err)
				}
				docs = append(docs, doc)
			}
			if len(docs) > 0 {
				if err := w.Upsert(ctx, docs...); err != nil {
					return err
				}
			}
			n += len(docs)
			if token = next; token == "" {
				return nil
			}
		}
	})
	if err != nil {
		return 0, err
	}
	_, err = s.CatchUp(ctx)
	return n, err
}

const reindexBatch = 500

// EnsureBuilt rebuilds the index when it is empty but the store holds datasets: the first start after the
// index was lost, or after an upgrade that changed its mapping.
func (s *Syncer) EnsureBuilt(ctx context.Context) error {
	res, err := s.ix.Search(ctx, &index.Request{PageSize: 1})
	if err != nil || res.Total > 0 {
		return err
	}
	list, _, err := s.docs.engine.ListDatasets(ctx, dataset.Page{Size: 1})
	if err != nil || len(list) == 0 {
		return err
	}
	n, err := s.Reindex(ctx)
	if err == nil {
		s.log.Info("search index rebuilt from the store", "datasets", n)
	}
	return err
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%d-%s", time.Now().UnixNano(), hex.EncodeToString(b))
}

// SetSchema sets where documents get columns and row counts (see SchemaFunc). Call it before Start.
func (s *Syncer) SetSchema(f SchemaFunc) {
	s.schema = f
	if s.docs != nil {
		s.docs.schema = f
	}
}

// Start runs the catch-up in the background until ctx ends, after rebuilding the index from the store if it
// is empty. Build the engine with Observer first. This is how `kamld serve` wires search.
func (s *Syncer) Start(ctx context.Context) {
	go func() {
		if err := s.EnsureBuilt(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("search index not rebuilt; the catch-up keeps trying", "error", err)
		}
		s.Run(ctx)
	}()
}
