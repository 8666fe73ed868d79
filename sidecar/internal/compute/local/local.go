// Package local is the embedded compute backend: runs are processes of the sidecar's machine, in the
// sidecar's own environment (the flavor image "host"). Each run is supervised by a small process of its own
// (the kamld binary started as a supervisor, see supervise), so the command survives a restart of the sidecar,
// even a SIGKILL, and its result is still collected; all state is in the run's directory (see rundir.go).
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
)

// HostEnvironment is the one local environment: the sidecar's own.
const HostEnvironment = "host"

// Backend runs jobs as local processes. It implements compute.Backend.
type Backend struct {
	root     string
	data     compute.Data
	exe      string
	log      *slog.Logger
	instance string
	offer    compute.Offer
	poll     time.Duration
	python   string

	sched *scheduler
	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup
	mu    sync.Mutex
	wake  map[compute.RunID]chan struct{} // nudges a run's monitor (cancel) without waiting for its poll
	// runAs is the uid and gid commands run as (runas.go); nil: the sidecar's own.
	runAs *RunAs
	// workRoot holds the runs' work directories when runAs is another user (openWorkRoot); "" otherwise.
	workRoot string
}

var _ compute.Backend = (*Backend)(nil)

// Option configures a Backend.
type Option func(*Backend)

// WithExecutable sets the program started as a run's supervisor (default: this process's executable, which
// must call MaybeSupervise at start).
func WithExecutable(path string) Option { return func(b *Backend) { b.exe = path } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(b *Backend) { b.log = l } }

// WithCapacity overrides the machine's capacity used for admission (tests, or to leave room for Jupyter).
func WithCapacity(milliCPU, memoryBytes int64) Option {
	return func(b *Backend) { b.offer.MilliCPU, b.offer.MemoryBytes = milliCPU, memoryBytes }
}

// WithPython puts the folder of a Python interpreter first on runs' PATH (unless a spec sets PATH), so that
// "python" in a command and notebooks run in that environment, e.g. the one Jupyter runs in.
func WithPython(path string) Option { return func(b *Backend) { b.python = path } }

// WithPollInterval sets how often monitors check a process they did not start and a cancel marker
// (default 50 ms).
func WithPollInterval(d time.Duration) Option { return func(b *Backend) { b.poll = d } }

// New opens (or creates) the run directory root and resumes every run found there that is not final: runs
// whose supervisor still lives are followed to their end, runs whose command ended meanwhile are finished
// (outputs stored), and runs whose supervisor vanished without a result are marked Lost.
func New(root string, data compute.Data, opts ...Option) (*Backend, error) {
	if err := os.MkdirAll(filepath.Join(root, "runs"), 0o700); err != nil {
		return nil, fmt.Errorf("local compute: %w", err)
	}
	id, err := instanceID(root)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	b := &Backend{root: root, data: data, log: slog.Default(), instance: "local:" + host + "/" + id,
		offer: hostOffer(), poll: 50 * time.Millisecond, wake: map[compute.RunID]chan struct{}{}}
	for _, o := range opts {
		o(b)
	}
	if b.exe == "" {
		if b.exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("local compute: cannot find the supervisor executable: %w", err)
		}
	}
	if b.runAs != nil && b.runAs.other() {
		if b.workRoot, err = openWorkRoot(root); err != nil {
			return nil, err
		}
	}
	b.sched = newScheduler(b.offer)
	b.ctx, b.stop = context.WithCancel(context.Background())
	runs, err := b.Runs(b.ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range runs {
		if st, err := b.dir(id).state(); err == nil && !st.Phase.Final() {
			b.follow(id)
		}
	}
	return b, nil
}

// instanceID is a random id kept in the root, so two sidecars with different run directories on one host
// are different instances.
func instanceID(root string) (string, error) {
	p := filepath.Join(root, "instance")
	if b, err := os.ReadFile(p); err == nil && len(b) > 0 {
		return string(b), nil
	}
	id := fmt.Sprintf("%x", time.Now().UnixNano())
	if err := writeFileOnce(p, []byte(id)); err != nil {
		return "", fmt.Errorf("local compute: %w", err)
	}
	b, err := os.ReadFile(p)
	return string(b), err
}

func writeFileOnce(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

// Name implements backend.Backend.
func (b *Backend) Name() string { return "local" }

// Location implements backend.Backend.
func (b *Backend) Location() string { return b.root }

// Health implements backend.Backend: the run directory must be writable.
func (b *Backend) Health(context.Context) error {
	f, err := os.CreateTemp(filepath.Join(b.root, "runs"), ".health-*")
	if err != nil {
		return fmt.Errorf("run directory %s is not writable: %w", b.root, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// Close stops the monitors. Runs keep going; a new Backend on the same root picks them up.
func (b *Backend) Close() error {
	b.stop()
	b.wg.Wait()
	return nil
}

// Instance implements compute.Backend.
func (b *Backend) Instance() string { return b.instance }

// Offers implements compute.Backend.
func (b *Backend) Offers(context.Context) ([]compute.Offer, error) {
	return []compute.Offer{b.offer}, nil
}

func (b *Backend) dir(id compute.RunID) runDir {
	return runDir(filepath.Join(b.root, "runs", id.String()))
}

// Start implements compute.Backend. The run directory is prepared under a temporary name and renamed into
// place: the rename is the commit point, and a second Start finds the directory and does nothing.
func (b *Backend) Start(ctx context.Context, spec compute.Spec) error {
	if err := checkSpec(spec, b.offer); err != nil {
		return err
	}
	d := b.dir(spec.Run)
	if d.exists() {
		return nil
	}
	if _, set := spec.Env["PATH"]; b.python != "" && !set {
		env := maps.Clone(spec.Env)
		if env == nil {
			env = map[string]string{}
		}
		env["PATH"] = filepath.Dir(b.python) + string(os.PathListSeparator) + os.Getenv("PATH")
		spec.Env = env
	}
	tmp, err := os.MkdirTemp(filepath.Join(b.root, "runs"), ".new-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := writeJSON(filepath.Join(tmp, specFile), spec); err != nil {
		return err
	}
	if err := os.Rename(tmp, string(d)); err != nil {
		if d.exists() {
			return nil // a concurrent Start won
		}
		return err
	}
	b.follow(spec.Run)
	return nil
}

func checkSpec(spec compute.Spec, offer compute.Offer) error {
	if spec.Run.Job == "" || spec.Run.Attempt < 1 {
		return apierr.InvalidArgument("run", "a run needs a job id and an attempt ≥ 1")
	}
	if len(spec.Command) == 0 || spec.Command[0] == "" {
		return apierr.InvalidArgument("command", "is empty")
	}
	for _, e := range offer.Environments {
		if e == spec.Image {
			return nil
		}
	}
	return fmt.Errorf("the local backend runs only the environments %v, not %q: %w", offer.Environments, spec.Image, apierr.ErrFailedPrecondition)
}

// Status implements compute.Backend.
func (b *Backend) Status(_ context.Context, id compute.RunID) (compute.Status, error) {
	d := b.dir(id)
	if !d.exists() {
		return compute.Status{}, notFound(id)
	}
	st, err := d.state()
	return st.status(), err
}

func notFound(id compute.RunID) error {
	return fmt.Errorf("run %s: %w", id, apierr.ErrNotFound)
}

// Cancel implements compute.Backend: it records the cancel marker, which the run's monitor acts on
// (a pending run is never started), and sends SIGTERM to a running supervisor, which stops the command.
func (b *Backend) Cancel(_ context.Context, id compute.RunID) error {
	d := b.dir(id)
	if !d.exists() {
		return notFound(id)
	}
	if st, err := d.state(); err == nil && st.Phase.Final() {
		return nil
	}
	if err := writeFileOnce(d.path(cancelFile), nil); err != nil {
		return err
	}
	var sup supervisorRecord
	if readJSON(d.path(supervisorFile), &sup) == nil && sup.alive() {
		_ = signalTerm(sup.PID)
	}
	b.nudge(id)
	return nil
}

func (b *Backend) nudge(id compute.RunID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ch, ok := b.wake[id]; ok {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Runs implements compute.Backend.
func (b *Backend) Runs(context.Context) ([]compute.RunID, error) {
	entries, err := os.ReadDir(filepath.Join(b.root, "runs"))
	if err != nil {
		return nil, err
	}
	out := []compute.RunID{}
	for _, e := range entries {
		id, ok := parseRunName(e.Name())
		if ok && e.IsDir() && b.dir(id).exists() {
			out = append(out, id)
		}
	}
	return out, nil
}

// Forget implements compute.Backend. The directory is renamed away first, so a half-removed run never
// looks like a run.
func (b *Backend) Forget(_ context.Context, id compute.RunID) error {
	d := b.dir(id)
	if !d.exists() {
		return nil
	}
	st, err := d.state()
	if err != nil {
		return err
	}
	if !st.Phase.Final() {
		return fmt.Errorf("run %s is %s; cancel it first: %w", id, st.Phase, apierr.ErrFailedPrecondition)
	}
	trash, err := os.MkdirTemp(filepath.Join(b.root, "runs"), ".gone-*")
	if err != nil {
		return err
	}
	removeLinkedWork(d)
	if err := os.Rename(string(d), filepath.Join(trash, "run")); err != nil {
		return err
	}
	return os.RemoveAll(trash)
}

// Artifact implements compute.Backend.
func (b *Backend) Artifact(_ context.Context, id compute.RunID, path string) (io.ReadCloser, error) {
	d := b.dir(id)
	if !d.exists() {
		return nil, notFound(id)
	}
	f, err := os.Open(filepath.Join(d.path(keepDir), filepath.FromSlash(path)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("run %s kept no %q: %w", id, path, apierr.ErrNotFound)
	}
	return f, err
}
