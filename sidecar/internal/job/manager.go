// Package job is kamld's training-run domain: job specs and their validation, flavors, the state machine
// QUEUED → PENDING → RUNNING → SUCCEEDED | FAILED | CANCELLED with a time and a reason per transition,
// records and events durable in the object store, timeouts, retries, and the exactly-once commit of a
// successful job's outputs as snapshots with lineage. Where runs execute is a compute.Backend's business.
//
// Each job is driven by one goroutine of the sidecar whose compute backend instance runs it (recorded on the
// job); a restarted sidecar resumes the jobs of its instance from jobs/active/. Any sidecar sharing the
// store can read, list, watch and cancel any job: a cancel is recorded on the job and acted on by its driver.
package job

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
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/observe"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Manager is the job domain over one store, dataset engine and compute backend. Safe for concurrent use.
type Manager struct {
	store     blob.Store
	datasets  *dataset.Engine
	compute   compute.Backend
	flavors   []Flavor
	workspace string
	python    string
	log       *slog.Logger
	now       func() time.Time
	poll      time.Duration
	retryBase time.Duration

	// tokens mints each run's job token (nil: runs get none); api is where the API listens (SetAPI).
	tokens *Tokens
	api    atomic.Pointer[[2]string]

	ctx     context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	drivers map[string]bool
	ended   chan struct{} // closed (and replaced) when a job this process drives ends; see Ended
}

// Option configures a Manager.
type Option func(*Manager)

// WithFlavors sets the flavors (default DefaultFlavors).
func WithFlavors(f []Flavor) Option { return func(m *Manager) { m.flavors = f } }

// WithWorkspace sets the folder working files are read from by source (JupyterLab's root directory).
func WithWorkspace(dir string) Option { return func(m *Manager) { m.workspace = dir } }

// WithPython sets the interpreter that executes notebooks (default "python3" on the run's PATH).
func WithPython(path string) Option { return func(m *Manager) { m.python = path } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithPollInterval sets the longest interval between a driver's looks at the backend (default 250 ms; see
// minPoll).
func WithPollInterval(d time.Duration) Option { return func(m *Manager) { m.poll = d } }

// WithRetryDelay sets the delay before the first retry of a failed attempt; it doubles with each retry
// (default 10 s, capped at 5 minutes).
func WithRetryDelay(d time.Duration) Option { return func(m *Manager) { m.retryBase = d } }

// WithJobTokens gives every run a job-scoped token (Tokens).
func WithJobTokens(t *Tokens) Option { return func(m *Manager) { m.tokens = t } }

// SetAPI tells the manager where the API listens, for runs started from now on (KAMLD_URL, KAMLD_GRPC).
func (m *Manager) SetAPI(httpURL, grpcAddr string) { m.api.Store(&[2]string{httpURL, grpcAddr}) }

// New returns a Manager. Call Start to resume the jobs of this backend instance.
func New(store blob.Store, datasets *dataset.Engine, backend compute.Backend, opts ...Option) *Manager {
	m := &Manager{store: store, datasets: datasets, compute: backend, flavors: DefaultFlavors(), python: "python3",
		log: slog.Default(), now: time.Now, poll: 250 * time.Millisecond, retryBase: 10 * time.Second, drivers: map[string]bool{},
		ended: make(chan struct{})}
	for _, o := range opts {
		o(m)
	}
	m.ctx, m.stop = context.WithCancel(context.Background())
	return m
}

// Start resumes every job not yet final that runs on this backend instance. It returns once they are
// handed to their drivers.
func (m *Manager) Start(ctx context.Context) error {
	err := blob.Each(ctx, m.store, activePrefix, func(o blob.Info) error {
		id := strings.TrimPrefix(o.Key, activePrefix)
		r, err := loadRecord(ctx, m.store, id)
		if err != nil {
			m.log.Warn("active job without a readable record", "job", id, "error", err)
			return nil
		}
		if r.Instance == m.compute.Instance() {
			m.drive(id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("resume jobs: %w", err)
	}
	return nil
}

// Close stops the drivers; jobs keep running in the backend and the next Start resumes them.
func (m *Manager) Close() {
	m.stop()
	m.wg.Wait()
}

func (m *Manager) flavorMap() map[string]Flavor {
	out := map[string]Flavor{}
	for _, f := range m.flavors {
		out[f.Name] = f
	}
	return out
}

// Submit validates a job, resolves its inputs to snapshots, chooses its image, records it QUEUED and starts
// driving it. With a jobID that exists, it returns that job if the spec is the same (an idempotent retry)
// and ALREADY_EXISTS otherwise.
func (m *Manager) Submit(ctx context.Context, in *kamldv1.Job, jobID, owner string) (*kamldv1.Job, error) {
	return m.submit(ctx, in, jobID, owner, SubmitOptions{})
}

func (m *Manager) submit(ctx context.Context, in *kamldv1.Job, jobID, owner string, o SubmitOptions) (*kamldv1.Job, error) {
	if jobID != "" {
		if err := resource.ValidateDatasetID(jobID); err != nil {
			return nil, apierr.InvalidArgument("job_id", "%v", err)
		}
	}
	if err := maySubmit(ctx); err != nil {
		return nil, err
	}
	res, timeout, err := validateSpec(in, m.flavorMap())
	if err != nil {
		return nil, err
	}
	j := specOnly(in)
	hash := specHash(j)
	if jobID != "" {
		if r, err := loadRecord(ctx, m.store, jobID); err == nil {
			if !visible(ctx, r) {
				return nil, fmt.Errorf("job id %q is taken: %w", jobID, apierr.ErrAlreadyExists)
			}
			return sameSpec(r, hash)
		} else if !errors.Is(err, apierr.ErrNotFound) {
			return nil, err
		}
	} else {
		jobID = newJobID()
	}
	r, err := m.prepare(ctx, j, res, timeout, owner)
	if err != nil {
		return nil, err
	}
	if err := m.branchOutputs(ctx, r, jobID, owner); err != nil {
		return nil, err
	}
	now := m.now().UTC()
	r.SpecHash, r.Instance, r.TraceParent, r.ExportEnv = hash, m.compute.Instance(), observe.TraceParent(ctx), o.ExportEnv
	j.Name, j.Owner, j.CreateTime, j.Backend, j.Attempt = "jobs/"+jobID, owner, timestamppb.New(now), m.compute.Name(), 1
	if j.Timeout == nil {
		j.Timeout = durationpb.New(timeout)
	}
	r.transition(now, kamldv1.JobState_JOB_STATE_QUEUED, "Submitted", "accepted; waiting to be handed to the "+m.compute.Name()+" backend")
	// Index and active marker first: a dangling marker (the record write failed) is skipped by readers,
	// while a record without them would be invisible to ListJobs and to recovery.
	if err := putEmpty(ctx, m.store, indexKey(now, jobID)); err != nil {
		return nil, err
	}
	if err := putEmpty(ctx, m.store, activeKey(jobID)); err != nil {
		return nil, err
	}
	if err := saveRecord(ctx, m.store, r); err != nil {
		if errors.Is(err, apierr.ErrAlreadyExists) { // a concurrent submit with this id won
			existing, lerr := loadRecord(ctx, m.store, jobID)
			if lerr != nil {
				return nil, lerr
			}
			return sameSpec(existing, hash)
		}
		return nil, err
	}
	m.drive(jobID)
	return cloneJob(r.Job), nil
}

func sameSpec(r *record, hash string) (*kamldv1.Job, error) {
	if r.SpecHash != hash {
		return nil, fmt.Errorf("job %s exists with a different spec: %w", r.Job.Name, apierr.ErrAlreadyExists)
	}
	return cloneJob(r.Job), nil
}

// specOnly copies the fields a client sets, dropping output-only ones.
func specOnly(in *kamldv1.Job) *kamldv1.Job {
	j := proto.Clone(in).(*kamldv1.Job)
	j.Name, j.State, j.Events, j.Owner, j.CreateTime, j.StartTime, j.EndTime = "", 0, nil, "", nil, nil, nil
	j.Image, j.Backend, j.Attempt, j.OutputSnapshots, j.CodeDigest = "", "", 0, nil, ""
	for _, input := range j.Inputs {
		input.Snapshot = ""
	}
	return j
}

func specHash(j *kamldv1.Job) string {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(j)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

var base32hex = base32.HexEncoding.WithPadding(base32.NoPadding)

func newJobID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "job-" + strings.ToLower(base32hex.EncodeToString(b))
}

// prepare resolves what the job needs: flavor image, working files, inputs' snapshots, output datasets,
// the command (a notebook becomes nbconvert's), and the code digest.
func (m *Manager) prepare(ctx context.Context, j *kamldv1.Job, res compute.Resources, timeout time.Duration, owner string) (*record, error) {
	offers, err := m.compute.Offers(ctx)
	if err != nil {
		return nil, err
	}
	im, err := Choose(m.flavorMap()[j.Flavor], offers, res)
	if err != nil {
		return nil, err
	}
	j.Image = im.Image
	r := &record{Job: j, Resources: res, Timeout: timeout}
	if r.Files, err = m.readFiles(j.WorkingFiles); err != nil {
		return nil, err
	}
	for i, in := range j.Inputs {
		sr, _ := resource.ParseShortRef(in.Ref) // validated
		snap, err := m.datasets.GetSnapshot(ctx, sr.Dataset, sr.Ref.String())
		if err != nil {
			return nil, fmt.Errorf("job.inputs[%d].ref %s: %w", i, in.Ref, err)
		}
		in.Snapshot = resource.DatasetName(sr.Dataset) + "/snapshots/" + snap.ID
	}
	var outputs []string
	for _, out := range j.Outputs {
		id, _ := resource.ParseDatasetName("", out.Dataset)
		if _, err := m.datasets.CreateDataset(ctx, id, dataset.Metadata{Description: "outputs of training jobs", Owner: owner}); err != nil && !errors.Is(err, apierr.ErrAlreadyExists) {
			return nil, fmt.Errorf("output dataset %s: %w", out.Dataset, err)
		}
		outputs = append(outputs, out.Dataset)
	}
	if err := m.canWriteOutputs(ctx, outputs); err != nil {
		return nil, err
	}
	r.Command = j.Command
	if j.Notebook != "" {
		r.Command = []string{m.python, "-m", "nbconvert", "--to", "notebook", "--execute", j.Notebook,
			"--output-dir", ".kamld", "--output", "executed"}
		r.Keep = []string{executedNotebook}
	}
	j.CodeDigest = codeDigest(r.Command, r.Files)
	return r, nil
}

// executedNotebook is where a notebook job's executed copy lands in the work directory.
const executedNotebook = ".kamld/executed.ipynb"

// readFiles reads working files: inline ones as given, others from the workspace, confined to it (os.Root
// refuses paths and symlinks that lead out).
func (m *Manager) readFiles(files []*kamldv1.WorkFile) ([]compute.File, error) {
	var out []compute.File
	var root *os.Root
	for i, f := range files {
		dst := f.Path
		if dst == "" {
			dst = f.Source
		}
		if f.Source == "" {
			out = append(out, compute.File{Path: dst, Content: f.Content, Executable: f.Executable})
			continue
		}
		if root == nil {
			if m.workspace == "" {
				return nil, fmt.Errorf("job.working_files[%d].source: this sidecar has no workspace configured (compute.workspace); send the file's content instead: %w", i, apierr.ErrFailedPrecondition)
			}
			var err error
			if root, err = os.OpenRoot(m.workspace); err != nil {
				return nil, fmt.Errorf("workspace %s: %w", m.workspace, apierr.ErrFailedPrecondition)
			}
			defer root.Close()
		}
		b, err := readLimited(root, filepath.FromSlash(f.Source))
		if err != nil {
			return nil, apierr.InvalidArgument(fmt.Sprintf("job.working_files[%d].source", i), "%v", err)
		}
		out = append(out, compute.File{Path: dst, Content: b, Executable: f.Executable})
	}
	return out, nil
}

func readLimited(root *os.Root, p string) ([]byte, error) {
	f, err := root.Open(p)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s from the workspace: %v", filepath.ToSlash(p), errors.Unwrap(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > 16*MaxInlineBytes {
		return nil, fmt.Errorf("%s is not a regular file of at most 16 MiB", filepath.ToSlash(p))
	}
	b := make([]byte, st.Size())
	_, err = f.ReadAt(b, 0)
	return b, err
}

// codeDigest is sha256 over the command and the working files (path and content), "sha256:<hex>".
func codeDigest(command []string, files []compute.File) string {
	h := sha256.New()
	for _, a := range command {
		h.Write([]byte(a))
		h.Write([]byte{0})
	}
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b compute.File) int { return strings.Compare(a.Path, b.Path) })
	for _, f := range sorted {
		sum := sha256.Sum256(f.Content)
		fmt.Fprintf(h, "\n%s\x00%x", f.Path, sum)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Get returns a job.
func (m *Manager) Get(ctx context.Context, id string) (*kamldv1.Job, error) {
	r, err := m.load(ctx, id)
	if err != nil {
		return nil, err
	}
	return cloneJob(r.Job), nil
}

// Cancel records a cancel and, for a job not yet handed to the backend, ends it at once; otherwise the job's
// driver cancels the run and records CANCELLED when the backend confirms. A final job is returned unchanged.
func (m *Manager) Cancel(ctx context.Context, id, reason string) (*kamldv1.Job, error) {
	if len(reason) > 1024 {
		return nil, apierr.InvalidArgument("reason", "is %d bytes; at most 1024", len(reason))
	}
	if err := mayCancel(ctx, id); err != nil {
		return nil, err
	}
	r, err := update(ctx, m.store, id, func(r *record) error {
		if !visible(ctx, r) {
			return notFound(id)
		}
		if r.final() || r.CancelRequested {
			return errNoChange
		}
		r.CancelRequested, r.CancelReason = true, reason
		if r.Job.State == kamldv1.JobState_JOB_STATE_QUEUED && r.Job.Attempt == 1 && !r.startRequested() {
			r.transition(m.now().UTC(), kamldv1.JobState_JOB_STATE_CANCELLED, compute.ReasonCancelledByUser, cancelMessage(reason))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !r.final() && r.Instance == m.compute.Instance() {
		// Tell the backend now rather than on the driver's next round: a PENDING run must never start.
		if err := m.compute.Cancel(ctx, runOf(r)); err != nil && !errors.Is(err, apierr.ErrNotFound) {
			return nil, fmt.Errorf("cancel is recorded and will be retried, but the backend: %w", err)
		}
		m.drive(id)
	}
	return cloneJob(r.Job), nil
}

// startRequested reports whether the current attempt may have been handed to the backend. The driver sets
// the attempt's StartRequested event reason before calling Start, so a QUEUED job without it certainly has
// no run.
func (r *record) startRequested() bool {
	e := r.lastEvent()
	return e != nil && e.Reason == reasonStarting
}

func cancelMessage(reason string) string {
	if reason == "" {
		return "cancelled by a user"
	}
	return "cancelled by a user: " + reason
}

func runOf(r *record) compute.RunID { return compute.RunID{Job: r.id(), Attempt: int(r.Job.Attempt)} }

// ListOptions filter and page ListJobs.
type ListOptions struct {
	States    []kamldv1.JobState
	Owner     string
	Labels    map[string]string
	PageSize  int32
	PageToken string
}

// List returns jobs newest first. The page token is the last index key returned, opaque to clients.
func (m *Manager) List(ctx context.Context, o ListOptions) ([]*kamldv1.Job, string, error) {
	size := int(o.PageSize)
	switch {
	case size < 0:
		return nil, "", apierr.InvalidArgument("page_size", "%d is negative", size)
	case size == 0:
		size = dataset.DefaultPageSize
	case size > dataset.MaxPageSize:
		size = dataset.MaxPageSize
	}
	after := ""
	if o.PageToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(o.PageToken)
		if err != nil || !strings.HasPrefix(string(b), indexPrefix) {
			return nil, "", apierr.InvalidArgument("page_token", "is not a token from a previous ListJobs")
		}
		after = string(b)
	}
	out := []*kamldv1.Job{}
	last := ""
	for {
		page, err := m.store.List(ctx, blob.ListOptions{Prefix: indexPrefix, StartAfter: after, Limit: min(size+1, blob.MaxListLimit)})
		if err != nil {
			return nil, "", err
		}
		recs, err := m.loadMany(ctx, page.Objects)
		if err != nil {
			return nil, "", err
		}
		for i, r := range recs {
			if r == nil || !o.matches(r.Job) || !visible(ctx, r) {
				continue
			}
			if len(out) == size { // one more exists: the page is full and not the last
				return out, base64.RawURLEncoding.EncodeToString([]byte(last)), nil
			}
			out = append(out, cloneJob(r.Job))
			last = page.Objects[i].Key
		}
		if !page.More {
			return out, "", nil
		}
		after = page.Objects[len(page.Objects)-1].Key
	}
}

// loadMany reads the records of index entries, eight at a time; a missing record (a dangling index
// entry) is nil.
func (m *Manager) loadMany(ctx context.Context, objs []blob.Info) ([]*record, error) {
	out := make([]*record, len(objs))
	errs := make([]error, len(objs))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, o := range objs {
		id := strings.TrimPrefix(o.Key, indexPrefix)[20:] // <19 digits>-<id>
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r, err := loadRecord(ctx, m.store, id)
			if errors.Is(err, apierr.ErrNotFound) {
				return
			}
			out[i], errs[i] = r, err
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func (o ListOptions) matches(j *kamldv1.Job) bool {
	if len(o.States) > 0 && !slices.Contains(o.States, j.State) {
		return false
	}
	if o.Owner != "" && j.Owner != o.Owner {
		return false
	}
	for k, v := range o.Labels {
		if got, ok := j.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Flavors lists the flavors, marking the images and flavors the backend can run.
func (m *Manager) Flavors(ctx context.Context) ([]*kamldv1.Flavor, error) {
	offers, err := m.compute.Offers(ctx)
	if err != nil {
		return nil, err
	}
	var out []*kamldv1.Flavor
	for _, f := range m.flavors {
		pf := &kamldv1.Flavor{Name: f.Name, Description: f.Description}
		for _, im := range f.Images {
			ok, _ := im.fitsAny(offers)
			s := im.Selectors
			pf.Images = append(pf.Images, &kamldv1.FlavorImage{Image: im.Image, Matches: ok, Selectors: &kamldv1.Selectors{
				GpuVendor: s.GPUVendor, GpuCount: int32(s.GPUCount), CudaVersion: s.CUDAVersion, Arch: s.Arch, MinMemory: s.MinMemory}})
			pf.Available = pf.Available || ok
		}
		out = append(out, pf)
	}
	slices.SortFunc(out, func(a, b *kamldv1.Flavor) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
