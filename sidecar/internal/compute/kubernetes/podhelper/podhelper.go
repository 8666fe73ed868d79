// Package podhelper is what cmd/kamld-job-helper does inside a run's Pod: before the command,
// write the working files and fetch the input snapshots into the work directory; around the command, run it
// without a shell, pass signals on, and when it exits 0 store the outputs. It needs no Kubernetes client: the
// Pod gets its Manifest through a downward-API file and the object store's configuration through environment
// variables.
package podhelper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Manifest is what the helper needs beyond the container's command line: the files to write and the snapshots
// to fetch before the command, and the folders to store after it.
type Manifest struct {
	Run     compute.RunID    `json:"run"`
	Files   []compute.File   `json:"files,omitempty"`
	Inputs  []compute.Input  `json:"inputs,omitempty"`
	Outputs []compute.Output `json:"outputs,omitempty"`
	// Export is the file the command may write for the runs after it (compute.Spec.Export), carried back
	// in the termination message (see ExportMessage).
	Export string `json:"export,omitempty"`
}

// NeedsData reports whether the manifest reads or writes datasets (and so needs the object store).
func (m Manifest) NeedsData() bool { return len(m.Inputs) > 0 || len(m.Outputs) > 0 }

// ReadManifest reads and checks a manifest file: every path must stay inside the work directory.
func ReadManifest(path string) (Manifest, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, err
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return Manifest{}, fmt.Errorf("manifest %s: %w", path, err)
	}
	return m, nil
}

// ParseManifest decodes a manifest (unknown fields are errors) and checks its paths.
func ParseManifest(raw []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, err
	}
	return m, m.validate()
}

func (m Manifest) validate() error {
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
	}
	for _, in := range m.Inputs {
		paths = append(paths, in.Path)
	}
	for _, out := range m.Outputs {
		paths = append(paths, out.Path)
	}
	if m.Export != "" {
		paths = append(paths, m.Export)
	}
	for _, p := range paths {
		if err := resource.ValidatePath(p); err != nil {
			return fmt.Errorf("manifest path %q: %w", p, err)
		}
	}
	return nil
}

// Fetch writes the working files, fetches every input into its folder and creates each output folder empty.
// data may be nil when the manifest has no inputs and no outputs.
func Fetch(ctx context.Context, m Manifest, workdir string, data compute.Data) error {
	for _, f := range m.Files {
		mode := os.FileMode(0o644)
		if f.Executable {
			mode = 0o755
		}
		if err := compute.WriteFileAtomic(filepath.Join(workdir, filepath.FromSlash(f.Path)), bytes.NewReader(f.Content), mode); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
	}
	if m.NeedsData() && data == nil {
		return errors.New("the run has inputs or outputs but the helper has no object store (compute.kubernetes.store_secret)")
	}
	for _, in := range m.Inputs {
		if err := data.Fetch(ctx, in, filepath.Join(workdir, filepath.FromSlash(in.Path))); err != nil {
			return fmt.Errorf("fetching %s@%s into %s: %w", in.Dataset, in.Snapshot, in.Path, err)
		}
	}
	for _, out := range m.Outputs {
		if err := os.MkdirAll(filepath.Join(workdir, filepath.FromSlash(out.Path)), 0o755); err != nil {
			return fmt.Errorf("creating output folder %s: %w", out.Path, err)
		}
	}
	return nil
}

// Store stores every output folder into its dataset's draft.
func Store(ctx context.Context, m Manifest, workdir string, data compute.Data) error {
	if len(m.Outputs) > 0 && data == nil {
		return errors.New("the run has outputs but the helper has no object store (compute.kubernetes.store_secret)")
	}
	for _, out := range m.Outputs {
		if err := data.Store(ctx, out, filepath.Join(workdir, filepath.FromSlash(out.Path))); err != nil {
			return fmt.Errorf("storing %s into %s: %w", out.Path, out.Dataset, err)
		}
	}
	return nil
}

// Exec runs argv in workdir without a shell, with env, its output on stdout and stderr, and SIGTERM and
// SIGINT passed on to it; it returns the command's exit code (128+signal when a signal ended it).
func Exec(ctx context.Context, argv []string, workdir string, env []string, stdout, stderr io.Writer) (int, error) {
	if len(argv) == 0 {
		return -1, errors.New("no command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = workdir, env, stdout, stderr
	if err := cmd.Start(); err != nil {
		return 127, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(signals)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-signals:
			_ = cmd.Process.Signal(s)
		case err := <-done:
			return exitCode(cmd, err)
		}
	}
}

func exitCode(cmd *exec.Cmd, err error) (int, error) {
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return -1, err
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return cmd.ProcessState.ExitCode(), nil
}

// ChildEnv is the helper's environment without the object store's configuration (KAMLD_* variables other
// than the run's own KAMLD_JOB, KAMLD_ATTEMPT, KAMLD_WORKDIR and KAMLD_EXPORT_ENV, and the job token's
// KAMLD_JOB_TOKEN, KAMLD_URL and KAMLD_GRPC), so the user's command does not inherit the store's credentials
// through its environment.
func ChildEnv(environ []string) []string {
	keep := map[string]bool{"KAMLD_JOB": true, "KAMLD_ATTEMPT": true, "KAMLD_WORKDIR": true, "KAMLD_EXPORT_ENV": true, "KAMLD_JOB_TOKEN": true, "KAMLD_URL": true, "KAMLD_GRPC": true}
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "KAMLD_") && !keep[name] {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// Install copies the running executable to dest (mode 0755), through a temporary file and a rename, so the
// run container, whose image has no kamld, can execute it from the shared volume.
func Install(dest string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	f, err := os.Open(self)
	if err != nil {
		return err
	}
	defer f.Close()
	return compute.WriteFileAtomic(dest, f, 0o755)
}
