package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// DefaultMaxParallel is how many steps of one run run at once unless configured.
const DefaultMaxParallel = 4

// Manager is the pipeline domain over one store, dataset engine and job domain. Safe for concurrent use.
type Manager struct {
	store       blob.Store
	datasets    *dataset.Engine
	jobs        Jobs
	workspace   string
	maxParallel int
	poll        time.Duration
	log         *slog.Logger
	now         func() time.Time

	ctx     context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	drivers map[string]bool
}

// Option configures a Manager.
type Option func(*Manager)

// WithWorkspace sets the folder working files are read from (JupyterLab's root).
func WithWorkspace(dir string) Option { return func(m *Manager) { m.workspace = dir } }

// WithMaxParallel bounds the steps of one run running at once (default DefaultMaxParallel).
func WithMaxParallel(n int) Option {
	return func(m *Manager) {
		if n > 0 {
			m.maxParallel = n
		}
	}
}

// WithPollInterval sets the longest interval between a run driver's looks at its steps' jobs (default 250 ms).
func WithPollInterval(d time.Duration) Option { return func(m *Manager) { m.poll = d } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// New returns a Manager; Start resumes the unfinished runs of this instance.
func New(store blob.Store, datasets *dataset.Engine, jobs Jobs, opts ...Option) *Manager {
	m := &Manager{store: store, datasets: datasets, jobs: jobs, maxParallel: DefaultMaxParallel, poll: 250 * time.Millisecond,
		log: slog.Default(), now: func() time.Time { return time.Now().UTC() }, drivers: map[string]bool{}}
	for _, o := range opts {
		o(m)
	}
	m.ctx, m.stop = context.WithCancel(context.Background())
	return m
}

// Start resumes every run not yet final whose jobs run on this instance.
func (m *Manager) Start(ctx context.Context) error {
	err := blob.Each(ctx, m.store, activePrefix, func(o blob.Info) error {
		id := strings.TrimPrefix(o.Key, activePrefix)
		r, err := loadRun(ctx, m.store, id)
		if err != nil {
			m.log.Warn("active pipeline run without a readable record", "run", id, "error", err)
			return nil
		}
		if r.Instance == m.jobs.Instance() {
			m.drive(id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("resume pipeline runs: %w", err)
	}
	return nil
}

// Close stops the drivers; the steps' jobs go on, and the next Start resumes the runs.
func (m *Manager) Close() {
	m.stop()
	m.wg.Wait()
}

var base32hex = base32.HexEncoding.WithPadding(base32.NoPadding)

func newRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "p" + strings.ToLower(base32hex.EncodeToString(b))
}

// jobID names attempt n of step i of a run: deterministic, so a resumed run submits the same job again and
// the job domain answers with the one it made.
func jobID(run string, step, attempt int) string { return fmt.Sprintf("%s-s%d-%d", run, step, attempt) }

// Run validates a pipeline, pins its dataset refs to snapshots, records the run and starts driving it. With
// a runID that exists, it returns that run when the request is the same and ALREADY_EXISTS otherwise.
func (m *Manager) Run(ctx context.Context, req Request, runID, owner string) (*Run, error) {
	if runID != "" {
		if err := resource.ValidateDatasetID(runID); err != nil || len(runID) > 40 {
			return nil, apierr.InvalidArgument("run_id", "%q is not a run id (a lowercase letter, then lowercase letters, digits and -, at most 40)", runID)
		}
	}
	c, _, err := m.compile(req)
	if err != nil {
		return nil, err
	}
	hash := requestHash(req)
	if runID != "" {
		if r, err := loadRun(ctx, m.store, runID); err == nil {
			return sameRun(r, hash)
		} else if !errors.Is(err, apierr.ErrNotFound) {
			return nil, err
		}
	} else {
		runID = newRunID()
	}
	pinned, err := m.pin(ctx, c)
	if err != nil {
		return nil, err
	}
	r := &Run{ID: runID, Pipeline: c.spec.Name, Owner: owner, Source: req.Source, Params: c.params, Files: req.Files,
		BaseDir: req.BaseDir, RerunFrom: req.RerunFrom, State: RunRunning, Created: m.now(), Pinned: pinned,
		Instance: m.jobs.Instance(), Hash: hash}
	for _, st := range c.order {
		r.Steps = append(r.Steps, &StepRun{Name: st.Name, State: StepWaiting, Deps: st.deps})
	}
	if err := putEmpty(ctx, m.store, indexKey(r.Created, runID)); err != nil {
		return nil, err
	}
	if err := putEmpty(ctx, m.store, activeKey(runID)); err != nil {
		return nil, err
	}
	if err := saveRun(ctx, m.store, r); err != nil {
		if errors.Is(err, apierr.ErrAlreadyExists) {
			existing, lerr := loadRun(ctx, m.store, runID)
			if lerr != nil {
				return nil, lerr
			}
			return sameRun(existing, hash)
		}
		return nil, err
	}
	m.drive(runID)
	return r, nil
}

func requestHash(req Request) string {
	h := sha256.New()
	h.Write(req.Source)
	for _, kv := range sortedPairs(req.Params) {
		fmt.Fprintf(h, "\x00p%s", kv)
	}
	for _, k := range slices.Sorted(maps.Keys(req.Files)) {
		sum := sha256.Sum256(req.Files[k])
		fmt.Fprintf(h, "\x00f%s=%x", k, sum)
	}
	fmt.Fprintf(h, "\x00b%s\x00r%s", req.BaseDir, req.RerunFrom)
	return hex.EncodeToString(h.Sum(nil))
}

func sameRun(r *Run, hash string) (*Run, error) {
	if r.Hash != hash {
		return nil, fmt.Errorf("pipeline run pipelineRuns/%s exists with another request: %w", r.ID, apierr.ErrAlreadyExists)
	}
	return r, nil
}

func putEmpty(ctx context.Context, s blob.Store, key string) error {
	_, err := s.Put(ctx, key, strings.NewReader(""), blob.PutOptions{})
	return err
}

// Get returns a run.
func (m *Manager) Get(ctx context.Context, id string) (*Run, error) { return loadRun(ctx, m.store, id) }

// Cancel records a cancel; the run's driver cancels the running steps' jobs and ends the run CANCELLED once
// they have stopped. A final run is returned unchanged.
func (m *Manager) Cancel(ctx context.Context, id, reason string) (*Run, error) {
	if len(reason) > 1024 {
		return nil, apierr.InvalidArgument("reason", "is %d bytes; at most 1024", len(reason))
	}
	r, err := updateRun(ctx, m.store, id, func(r *Run) error {
		if r.Final() || r.CancelRequested {
			return errNoChange
		}
		r.CancelRequested, r.CancelReason = true, reason
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !r.Final() && r.Instance == m.jobs.Instance() {
		m.drive(id)
	}
	return r, nil
}

// List returns runs newest first, a page at a time; the token is opaque to clients.
func (m *Manager) List(ctx context.Context, pageSize int, token string) ([]*Run, string, error) {
	switch {
	case pageSize < 0:
		return nil, "", apierr.InvalidArgument("page_size", "%d is negative", pageSize)
	case pageSize == 0:
		pageSize = dataset.DefaultPageSize
	case pageSize > dataset.MaxPageSize:
		pageSize = dataset.MaxPageSize
	}
	after := ""
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || !strings.HasPrefix(string(b), indexPrefix) {
			return nil, "", apierr.InvalidArgument("page_token", "is not a token from a previous ListPipelineRuns")
		}
		after = string(b)
	}
	out := []*Run{}
	last := ""
	for {
		page, err := m.store.List(ctx, blob.ListOptions{Prefix: indexPrefix, StartAfter: after, Limit: min(pageSize+1, blob.MaxListLimit)})
		if err != nil {
			return nil, "", err
		}
		for _, o := range page.Objects {
			r, err := loadRun(ctx, m.store, strings.TrimPrefix(o.Key, indexPrefix)[20:])
			if errors.Is(err, apierr.ErrNotFound) {
				continue // an index entry whose record was never written
			} else if err != nil {
				return nil, "", err
			}
			if len(out) == pageSize {
				return out, base64.RawURLEncoding.EncodeToString([]byte(last)), nil
			}
			out = append(out, r)
			last = o.Key
		}
		if !page.More {
			return out, "", nil
		}
		after = page.Objects[len(page.Objects)-1].Key
	}
}

// Watch sends the run now and again after every change, and returns once it is final.
func (m *Manager) Watch(ctx context.Context, id string, send func(*Run) error) error {
	last := ""
	for {
		r, err := loadRun(ctx, m.store, id)
		if err != nil {
			return err
		}
		if r.version != last {
			last = r.version
			if err := send(r); err != nil {
				return err
			}
		}
		if r.Final() {
			return nil
		}
		sleep(ctx, 100*time.Millisecond)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
