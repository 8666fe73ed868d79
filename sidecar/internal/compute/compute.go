// Package compute is where training runs execute: the contract between the job domain (package job), which
// owns records, states, retries and the exactly-once commit of outputs, and the engines that carry runs out —
// local processes of the sidecar (compute/local) and Kubernetes Jobs (compute/kubernetes). Both pass the one
// conformance suite in compute/computetest.
//
// A backend knows runs, not jobs: a run is one attempt of one job, named by RunID. Everything a backend needs
// is in its Spec, already resolved (fixed snapshot ids, the chosen image, resources as numbers), so a backend
// never looks anything up and never decides policy; it reports what its own machinery says, with reasons.
package compute

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kamld/kamld/sidecar/internal/backend"
)

// Backend runs jobs' attempts. Methods are safe for concurrent use. Errors wrap the apierr sentinels:
// ErrNotFound for a run the backend does not know, ErrUnavailable when its machinery cannot be reached
// (retrying later may succeed and never duplicates a run), ErrFailedPrecondition for a spec it cannot run
// (an image it does not have).
type Backend interface {
	backend.Backend

	// Instance names the place this backend's runs live: "local:<host>/<run dir id>" or the cluster and
	// namespace. The job domain records it on each job, so that after a restart a sidecar recovers only the
	// runs of its own instance and leaves other sidecars' runs alone.
	Instance() string

	// Offers describes the machines runs can land on, for flavor matching: one Offer per kind of machine
	// (the local host; each distinct node shape of a cluster). It may change over time (nodes come and go).
	Offers(ctx context.Context) ([]Offer, error)

	// Start creates the run spec.Run and returns without waiting for it to start. It is idempotent by RunID:
	// if that run already exists (in any phase, final ones included), Start returns nil and changes nothing,
	// even with a different spec — so a caller that lost the answer retries freely and never runs an attempt
	// twice. After Start returns nil, Status knows the run.
	//
	// The run writes spec.Files and materializes every input at its path in the work directory before the
	// command starts (reason MaterializingInputs while it does), creates each output folder empty, runs the
	// command without a shell, and, only when the command exits
	// 0, stores each output folder into its dataset's draft through Data.Store; only then does the run report
	// Succeeded. A failure to fetch inputs or store outputs ends the run Failed with reason InputsFailed or
	// OutputsFailed. The backend never takes snapshots: committing outputs is the job domain's business.
	Start(ctx context.Context, spec Spec) error

	// Status reports what the backend's own machinery says about the run now. A run waiting to start is
	// PhasePending with a reason that tells waiting from stuck: ReasonWaitingForResources (it will start when
	// capacity frees up), ReasonUnschedulable (it cannot start as requested; it will not start by itself),
	// ReasonPullingImage, ReasonMaterializingInputs. Final phases keep their status for as long as the run
	// exists (until Forget). A run the backend lost track of (its process or Pod vanished without a result,
	// e.g. a node died, or the local supervisor was killed) is PhaseFailed with ReasonLost — never a silent
	// Running forever.
	//
	// Status survives a restart of the sidecar, even a SIGKILL: a new Backend built on the same state (the
	// local run directory, the cluster) reports the same runs, and runs that were going on keep going and
	// end with their real result.
	Status(ctx context.Context, id RunID) (Status, error)

	// Cancel stops the run in whatever phase it is, PhasePending included (a run that never started is
	// simply never started), and it then ends PhaseCancelled with ReasonCancelledByUser; its outputs are not
	// stored. The command gets SIGTERM (or the platform's equivalent) and, after a grace period, is killed
	// with everything it started. Cancelling a run in a final phase changes nothing and returns nil.
	// Cancel returns once the cancellation is recorded; Status may show the old phase briefly after.
	Cancel(ctx context.Context, id RunID) error

	// Logs streams the run's combined stdout and stderr from byte offset. Without follow it returns what
	// exists now; with follow it keeps streaming until the run reaches a final phase (or ctx ends) and then
	// returns io.EOF. It works live and after the end, for as long as the run exists. An offset beyond the
	// end of a finished run's log gives an empty stream.
	Logs(ctx context.Context, id RunID, offset int64, follow bool) (io.ReadCloser, error)

	// Artifact opens a file the run left beside its log, e.g. the executed copy of a notebook (the path
	// Spec.Keep names). ErrNotFound when there is none.
	Artifact(ctx context.Context, id RunID, path string) (io.ReadCloser, error)

	// Runs lists every run the backend holds, in no particular order: after a restart the job domain uses it
	// with Status to find its runs again.
	Runs(ctx context.Context) ([]RunID, error)

	// Forget deletes what the backend holds of a run in a final phase (work directory, log, Pod, Job), after
	// the job domain archived its log. Forgetting an unknown run returns nil; forgetting a run that is not
	// final is ErrFailedPrecondition.
	Forget(ctx context.Context, id RunID) error
}

// RunID names one attempt of one job.
type RunID struct {
	// Job is the job id (a DNS label, at most 63 characters).
	Job string
	// Attempt counts from 1.
	Attempt int
}

// String renders "<job>-<attempt>", which is also a DNS label when Job leaves room for the suffix.
func (r RunID) String() string { return fmt.Sprintf("%s-%d", r.Job, r.Attempt) }

// Spec is a run, fully resolved by the job domain.
type Spec struct {
	Run RunID
	// Image is the flavor image chosen for this backend (for the local backend, a local environment name
	// such as "host").
	Image string
	// Command is the program and its arguments, executed directly (never through a shell), in the work
	// directory. Command[0] is looked up in PATH if it has no '/'.
	Command []string
	// Env is added to the backend's base environment; KAMLD_JOB, KAMLD_ATTEMPT and KAMLD_WORKDIR are set
	// by the backend.
	Env map[string]string
	// Files are written into the work directory before the run (scripts, notebooks, configs).
	Files []File
	// Inputs are snapshots to materialize.
	Inputs []Input
	// Outputs are folders to store when the command succeeds.
	Outputs []Output
	// Keep names files of the work directory to keep beside the log after the run (see Artifact).
	Keep []string
	// Export names a file of the work directory, listed in Keep too, that the run may write for the runs
	// after it. A backend that keeps no files (Kubernetes) carries this one back, at most 4 KiB
	// (podhelper.MaxExport; more fails the run with ReasonOutputsFailed), and Artifact opens it after a
	// successful run.
	Export string
	// Resources the run asks for.
	Resources Resources
	// NodeSelector constrains where a Kubernetes run lands; other backends ignore it.
	NodeSelector map[string]string
	// Timeout bounds the command's run time; when it passes the run ends PhaseFailed with
	// ReasonDeadlineExceeded. Zero means no limit.
	Timeout time.Duration
	// Labels are attached to the run where the platform has labels (Kubernetes), besides the job id.
	Labels map[string]string
}

// File is a file written into the work directory.
type File struct {
	// Path relative to the work directory, validated by the job domain (no "..", not absolute).
	Path string
	// Content of the file.
	Content []byte
	// Executable sets mode 0755 instead of 0644.
	Executable bool
}

// Input is a snapshot materialized into the work directory.
type Input struct {
	// Dataset id.
	Dataset string
	// Snapshot id (full hex), fixed at submit.
	Snapshot string
	// Path of the folder in the work directory, relative.
	Path string
}

// Output is a folder of the work directory stored into a dataset's draft when the command succeeds.
type Output struct {
	// Path of the folder in the work directory, relative.
	Path string
	// Dataset id; the job domain created it at submit if it was missing.
	Dataset string
}

// Resources are what a run asks for, as numbers.
type Resources struct {
	// MilliCPU is CPU in thousandths of a core.
	MilliCPU int64
	// MemoryBytes is memory in bytes.
	MemoryBytes int64
	// GPUs is the number of GPUs.
	GPUs int
}

// Offer is one kind of machine a backend can run on.
type Offer struct {
	// Arch is the CPU architecture: "amd64", "arm64".
	Arch string
	// MilliCPU and MemoryBytes are the capacity of one such machine.
	MilliCPU    int64
	MemoryBytes int64
	// GPUVendor ("nvidia", "amd") and GPUs are its accelerators; GPUs is 0 without any.
	GPUVendor string
	GPUs      int
	// CUDAVersion is the highest CUDA version its driver supports, e.g. "12.4"; empty without CUDA.
	CUDAVersion string
	// Containers reports whether images are container images (Kubernetes). When false, the backend runs
	// only the local environments named in Environments.
	Containers bool
	// Environments are the local environment names this offer runs (e.g. "host"), when Containers is false.
	Environments []string
	// Labels are the machine's labels (Kubernetes node labels), for node selectors.
	Labels map[string]string
}

// Phase is where a run is.
type Phase int

// Phases. Succeeded, Failed and Cancelled are final.
const (
	PhaseUnknown Phase = iota
	PhasePending
	PhaseRunning
	PhaseSucceeded
	PhaseFailed
	PhaseCancelled
)

// Final reports whether a run in this phase can change no more.
func (p Phase) Final() bool { return p >= PhaseSucceeded }

func (p Phase) String() string {
	switch p {
	case PhasePending:
		return "Pending"
	case PhaseRunning:
		return "Running"
	case PhaseSucceeded:
		return "Succeeded"
	case PhaseFailed:
		return "Failed"
	case PhaseCancelled:
		return "Cancelled"
	}
	return "Unknown"
}

// Reasons, machine-readable, UpperCamelCase; the job domain copies them into JobEvent.reason.
const (
	ReasonWaitingForResources = "WaitingForResources"
	ReasonUnschedulable       = "Unschedulable"
	ReasonPullingImage        = "PullingImage"
	ReasonMaterializingInputs = "MaterializingInputs"
	ReasonStarted             = "Started"
	ReasonStoringOutputs      = "StoringOutputs"
	ReasonCompleted           = "Completed"
	ReasonError               = "Error"
	ReasonDeadlineExceeded    = "DeadlineExceeded"
	ReasonLost                = "Lost"
	ReasonCancelledByUser     = "CancelledByUser"
	ReasonInputsFailed        = "InputsFailed"
	ReasonOutputsFailed       = "OutputsFailed"
)

// Status is a run's state as its backend sees it.
type Status struct {
	Phase Phase
	// Reason is one of the Reason constants (others are allowed when the platform says something more
	// precise, e.g. "ImagePullBackOff").
	Reason string
	// Message is a human-readable detail.
	Message string
	// ExitCode is the command's exit code once it ended; -1 when it was killed by a signal or never ran.
	ExitCode int
	// StartTime is when the command started (zero before); EndTime when the run reached a final phase.
	StartTime, EndTime time.Time
}

// Data moves a run's bytes between the object store and a work directory. The job domain provides it
// (backed by the dataset engine); backends call it, and the Kubernetes in-pod helper builds its own from the
// store's configuration.
type Data interface {
	// Fetch writes every file of the input's snapshot under dir, creating folders as needed and replacing
	// files already there (so a retried fetch is harmless).
	Fetch(ctx context.Context, in Input, dir string) error
	// Store writes every regular file under dir into the output dataset's draft, at the same relative path.
	// Writing the same files again is harmless (content-addressed).
	Store(ctx context.Context, out Output, dir string) error
}
