package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// Key layout in the object store (docs/architecture.md, "Key layout"):
//
//	pipelines/runs/<id>                  the run record (source, parameters, each step's state, jobs and
//	                                     outputs); create-only, then changed only by compare-and-swap
//	pipelines/index/<inverted ns>-<id>   empty: ListPipelineRuns walks these, newest first
//	pipelines/active/<id>                empty: runs not yet final; a restarted sidecar resumes these
//	pipelines/cache/<key>                the latest successful step with this cache key: its run, job, output
//	                                     snapshots and exported environment
//	pipelines/last/<pipeline>/<step>     the key parts of that step's latest success, to say why a step runs
const (
	runPrefix    = "pipelines/runs/"
	indexPrefix  = "pipelines/index/"
	activePrefix = "pipelines/active/"
	cachePrefix  = "pipelines/cache/"
	lastPrefix   = "pipelines/last/"
)

// RunState is where a run is.
type RunState string

// Run states.
const (
	RunRunning   RunState = "RUNNING"
	RunSucceeded RunState = "SUCCEEDED"
	RunFailed    RunState = "FAILED"
	RunCancelled RunState = "CANCELLED"
)

// StepState is where a step of a run is.
type StepState string

// Step states. CACHED, SUCCEEDED, FAILED, CANCELLED and SKIPPED are final.
const (
	StepWaiting   StepState = "WAITING" // for the steps it depends on, or for a free slot
	StepRunning   StepState = "RUNNING" // its job is submitted (queued, pending or running)
	StepSucceeded StepState = "SUCCEEDED"
	StepCached    StepState = "CACHED" // an earlier run's outputs reused
	StepFailed    StepState = "FAILED"
	StepCancelled StepState = "CANCELLED"
	StepSkipped   StepState = "SKIPPED" // a step it depends on did not succeed, or the run stopped
)

func (s StepState) final() bool { return s != StepWaiting && s != StepRunning }
func (s StepState) ok() bool    { return s == StepSucceeded || s == StepCached }

// Run is a pipeline run as stored.
type Run struct {
	ID        string            `json:"id"`
	Pipeline  string            `json:"pipeline"`
	Owner     string            `json:"owner"`
	Source    []byte            `json:"source"`
	Params    map[string]string `json:"params,omitempty"`
	Files     map[string][]byte `json:"files,omitempty"`
	BaseDir   string            `json:"base_dir,omitempty"`
	RerunFrom string            `json:"rerun_from,omitempty"`
	State     RunState          `json:"state"`
	Message   string            `json:"message,omitempty"`
	Created   time.Time         `json:"create_time"`
	Ended     time.Time         `json:"end_time"`
	// Pinned maps each dataset ref the steps read ("iris@v1") to the snapshot it resolved to when the run
	// was created ("iris@<snapshot id>"), so every step of the run reads the same data.
	Pinned          map[string]string `json:"pinned,omitempty"`
	CancelRequested bool              `json:"cancel_requested,omitempty"`
	CancelReason    string            `json:"cancel_reason,omitempty"`
	Instance        string            `json:"instance"`
	Hash            string            `json:"hash"`
	Steps           []*StepRun        `json:"steps"`

	version string
}

// StepRun is one step of a run.
type StepRun struct {
	Name    string    `json:"name"`
	State   StepState `json:"state"`
	Deps    []string  `json:"deps,omitempty"`
	Attempt int       `json:"attempt,omitempty"`
	// Jobs are the job ids of its attempts, oldest first.
	Jobs []string `json:"jobs,omitempty"`
	// Spec is the job it runs as, recorded before the job is submitted so a resumed run submits the same one
	// (without the working files' bytes: those are the run's, compiled again from it).
	Spec     *JobSpec          `json:"spec,omitempty"`
	Key      string            `json:"key,omitempty"`
	KeyParts map[string]string `json:"key_parts,omitempty"`
	// CachedFrom and CachedJob name the run and job that made the outputs of a CACHED step.
	CachedFrom string `json:"cached_from,omitempty"`
	CachedJob  string `json:"cached_job,omitempty"`
	// Outputs map output folders to "dataset@<snapshot id>".
	Outputs    map[string]string `json:"outputs,omitempty"`
	Exported   map[string]string `json:"exported,omitempty"`
	Reasons    []string          `json:"reasons,omitempty"` // why it runs (or what it reused)
	Message    string            `json:"message,omitempty"`
	ImageNote  string            `json:"image_note,omitempty"`
	CancelSent bool              `json:"cancel_sent,omitempty"`
	Started    time.Time         `json:"start_time"`
	Ended      time.Time         `json:"end_time"`
}

// Final reports whether the run is over.
func (r *Run) Final() bool { return r.State != RunRunning }

func (r *Run) step(name string) *StepRun {
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func runKey(id string) string    { return runPrefix + id }
func activeKey(id string) string { return activePrefix + id }
func indexKey(t time.Time, id string) string {
	return fmt.Sprintf("%s%019d-%s", indexPrefix, math.MaxInt64-t.UnixNano(), id)
}

func loadRun(ctx context.Context, s blob.Store, id string) (*Run, error) {
	rc, info, err := s.Get(ctx, runKey(id), blob.GetOptions{})
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, fmt.Errorf("pipeline run %q: %w", "pipelineRuns/"+id, apierr.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var r Run
	if err := json.NewDecoder(rc).Decode(&r); err != nil {
		return nil, fmt.Errorf("pipeline run record %s is corrupt: %w: %v", id, apierr.ErrDataLoss, err)
	}
	r.version = info.Version
	return &r, nil
}

// saveRun writes r: create-only without a version, else compare-and-swap (ErrAborted when it lost).
func saveRun(ctx context.Context, s blob.Store, r *Run) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	info, err := s.Put(ctx, runKey(r.ID), bytes.NewReader(b), blob.SwapOptions(r.version))
	if err != nil {
		return err
	}
	r.version = info.Version
	return nil
}

// updateRun applies fn to the freshest record and saves it, retrying lost races; errNoChange skips the write.
func updateRun(ctx context.Context, s blob.Store, id string, fn func(*Run) error) (*Run, error) {
	r, lost, err := blob.RetrySwaps(func() (*Run, error) {
		r, err := loadRun(ctx, s, id)
		if err != nil {
			return nil, err
		}
		if err := fn(r); errors.Is(err, errNoChange) {
			return r, nil
		} else if err != nil {
			return nil, err
		}
		return r, saveRun(ctx, s, r)
	})
	if lost {
		return nil, fmt.Errorf("pipeline run %s: still losing to concurrent updates: %w", id, apierr.ErrAborted)
	}
	return r, err
}

var errNoChange = errors.New("no change")

func putJSON(ctx context.Context, s blob.Store, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.Put(ctx, key, bytes.NewReader(b), blob.PutOptions{})
	return err
}

// getJSON reads key into v; false when it does not exist.
func getJSON(ctx context.Context, s blob.Store, key string, v any) (bool, error) {
	rc, _, err := s.Get(ctx, key, blob.GetOptions{})
	if errors.Is(err, apierr.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(v); err != nil {
		return false, nil // a corrupt cache entry is a miss, never an error
	}
	return true, nil
}
