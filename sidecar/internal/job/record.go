package job

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/observe"
)

// Key layout in the object store (the store is the source of truth; docs/architecture.md):
//
//	jobs/records/<id>                   the job record: the API's Job (spec, state, events) and what the
//	                                    domain needs to drive it. Created create-only at submit (which makes
//	                                    submit idempotent by id) and changed only by compare-and-swap.
//	jobs/index/<inverted ns>-<id>       empty, create-only: ListJobs walks these in key order, newest first.
//	jobs/active/<id>                    empty: the jobs not yet final; a restarted sidecar resumes these.
//	jobs/logs/<id>/<attempt>            an attempt's archived log, once it ended.
//	jobs/artifacts/<id>/<attempt>/<p>   files an attempt kept (the executed copy of a notebook).
const (
	recordPrefix = "jobs/records/"
	indexPrefix  = "jobs/index/"
	activePrefix = "jobs/active/"
	logPrefix    = "jobs/logs/"
	artPrefix    = "jobs/artifacts/"
)

func recordKey(id string) string { return recordPrefix + id }
func activeKey(id string) string { return activePrefix + id }
func logKey(id string, attempt int32) string {
	return fmt.Sprintf("%s%s/%d", logPrefix, id, attempt)
}
func artifactKey(id string, attempt int32, p string) string {
	return fmt.Sprintf("%s%s/%d/%s", artPrefix, id, attempt, p)
}

// indexKey sorts newest first: the submit time counted down from the far future.
func indexKey(t time.Time, id string) string {
	return fmt.Sprintf("%s%019d-%s", indexPrefix, math.MaxInt64-t.UnixNano(), id)
}

// record is a job as stored.
type record struct {
	Job *kamldv1.Job `json:"-"`
	// JobJSON is Job in protojson, the API's own encoding.
	JobJSON json.RawMessage `json:"job"`
	// Instance is the compute backend instance that runs it (compute.Backend.Instance).
	Instance string `json:"instance"`
	// SpecHash identifies the submitted spec, to tell an idempotent retry from a clash of ids.
	SpecHash  string            `json:"spec_hash"`
	Command   []string          `json:"command"`
	Keep      []string          `json:"keep,omitempty"`
	Files     []compute.File    `json:"files,omitempty"`
	Resources compute.Resources `json:"resources"`
	Timeout   time.Duration     `json:"timeout"`
	// CancelRequested is set by CancelJob (with the reason); the job's driver acts on it.
	CancelRequested bool   `json:"cancel_requested,omitempty"`
	CancelReason    string `json:"cancel_reason,omitempty"`
	// OutputBranch is the branch of every output dataset the run writes to, created from each one's head at
	// submit and merged into main when the run succeeded (docs/branches.md). Empty in records written before
	// branches: those outputs go to main's draft.
	OutputBranch string `json:"output_branch,omitempty"`
	// Committed maps output dataset ids to the snapshot committed for them (exactly once).
	Committed map[string]string `json:"committed,omitempty"`
	// RetryAt is when a failed attempt's successor may start.
	RetryAt time.Time `json:"retry_at"`
	// TraceParent is the W3C trace context of the submitting call, handed to every run as TRACEPARENT so
	// the job's own spans join the submitter's trace (empty when tracing is off).
	TraceParent string `json:"traceparent,omitempty"`
	// ExportEnv: the run may write ExportEnvFile for the steps of a pipeline after it (SubmitOptions).
	ExportEnv bool `json:"export_env,omitempty"`

	version string
}

func (r *record) id() string { return r.Job.Name[len("jobs/"):] }

func (r *record) final() bool {
	switch r.Job.State {
	case kamldv1.JobState_JOB_STATE_SUCCEEDED, kamldv1.JobState_JOB_STATE_FAILED, kamldv1.JobState_JOB_STATE_CANCELLED:
		return true
	}
	return false
}

// lastEvent is the newest event, nil before the first.
func (r *record) lastEvent() *kamldv1.JobEvent {
	if len(r.Job.Events) == 0 {
		return nil
	}
	return r.Job.Events[len(r.Job.Events)-1]
}

// transition records a state change as an event, with the times the Job shows.
func (r *record) transition(now time.Time, state kamldv1.JobState, reason, msg string) {
	ts := timestamppb.New(now)
	r.Job.State = state
	r.Job.Events = append(r.Job.Events, &kamldv1.JobEvent{Job: r.Job.Name, State: state, Reason: reason, Message: msg, Time: ts, Attempt: r.Job.Attempt})
	if state == kamldv1.JobState_JOB_STATE_RUNNING && r.Job.StartTime == nil {
		r.Job.StartTime = ts
	}
	if r.final() {
		r.Job.EndTime = ts
	}
	observeTransition(r.Job, now)
}

// observeTransition feeds the job metrics (package observe) with the state just entered.
func observeTransition(j *kamldv1.Job, now time.Time) {
	state := strings.ToLower(strings.TrimPrefix(j.State.String(), "JOB_STATE_"))
	reason := ""
	if n := len(j.Events); n > 0 {
		reason = j.Events[n-1].Reason
	}
	observe.JobTransition(state, reason)
	switch {
	case j.State == kamldv1.JobState_JOB_STATE_RUNNING && j.StartTime != nil && j.CreateTime != nil && now.Equal(j.StartTime.AsTime()):
		observe.JobStarted(j.StartTime.AsTime().Sub(j.CreateTime.AsTime()))
	case j.EndTime != nil && j.StartTime != nil && now.Equal(j.EndTime.AsTime()):
		observe.JobEnded(state, j.EndTime.AsTime().Sub(j.StartTime.AsTime()))
	}
}

var jsonOpts = protojson.MarshalOptions{UseProtoNames: true}

func (r *record) marshal() ([]byte, error) {
	j, err := jsonOpts.Marshal(r.Job)
	if err != nil {
		return nil, err
	}
	r.JobJSON = j
	return json.Marshal(r)
}

func loadRecord(ctx context.Context, s blob.Store, id string) (*record, error) {
	rc, info, err := s.Get(ctx, recordKey(id), blob.GetOptions{})
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, fmt.Errorf("job %q: %w", "jobs/"+id, apierr.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var r record
	if err := json.NewDecoder(rc).Decode(&r); err != nil {
		return nil, fmt.Errorf("job record %s is corrupt: %w: %v", id, apierr.ErrDataLoss, err)
	}
	r.Job = &kamldv1.Job{}
	if err := protojson.Unmarshal(r.JobJSON, r.Job); err != nil {
		return nil, fmt.Errorf("job record %s is corrupt: %w: %v", id, apierr.ErrDataLoss, err)
	}
	r.version = info.Version
	return &r, nil
}

// saveRecord writes r: create-only when it has no version yet, else compare-and-swap.
func saveRecord(ctx context.Context, s blob.Store, r *record) error {
	b, err := r.marshal()
	if err != nil {
		return err
	}
	info, err := s.Put(ctx, recordKey(r.id()), bytes.NewReader(b), blob.SwapOptions(r.version))
	if err != nil {
		return err
	}
	r.version = info.Version
	return nil
}

// update applies fn to the freshest record and saves it by compare-and-swap, retrying lost races. fn
// returning errNoChange skips the write.
func update(ctx context.Context, s blob.Store, id string, fn func(*record) error) (*record, error) {
	r, lost, err := blob.RetrySwaps(func() (*record, error) {
		r, err := loadRecord(ctx, s, id)
		if err != nil {
			return nil, err
		}
		if err := fn(r); errors.Is(err, errNoChange) {
			return r, nil
		} else if err != nil {
			return nil, err
		}
		return r, saveRecord(ctx, s, r)
	})
	if lost {
		return nil, fmt.Errorf("job %s: still losing to concurrent updates: %w", id, apierr.ErrAborted)
	}
	return r, err
}

var errNoChange = errors.New("no change")

func putEmpty(ctx context.Context, s blob.Store, key string) error {
	_, err := s.Put(ctx, key, bytes.NewReader(nil), blob.PutOptions{})
	return err
}

// cloneJob returns a copy safe to hand out.
func cloneJob(j *kamldv1.Job) *kamldv1.Job { return proto.Clone(j).(*kamldv1.Job) }
