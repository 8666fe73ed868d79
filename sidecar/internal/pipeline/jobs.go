package pipeline

import (
	"context"
	"time"
)

// JobSpec is the job a step runs as: the step with parameters substituted, inputs resolved to snapshots
// and the environment merged (pipeline env, then what earlier steps exported, then the step's own).
type JobSpec struct {
	DisplayName  string            `json:"display_name"`
	Flavor       string            `json:"flavor"`
	Command      []string          `json:"command,omitempty"`
	Notebook     string            `json:"notebook,omitempty"`
	Files        []File            `json:"files,omitempty"`
	Inputs       []Input           `json:"inputs,omitempty"`
	Outputs      []Output          `json:"outputs,omitempty"`
	Resources    Resources         `json:"resources"`
	Env          map[string]string `json:"env,omitempty"`
	NodeSelector map[string]string `json:"node_selector,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Timeout      time.Duration     `json:"timeout,omitempty"`
}

// File is a working file with its bytes.
type File struct {
	Path       string `json:"path"`
	Content    []byte `json:"content"`
	Executable bool   `json:"executable,omitempty"`
}

// Input is a dataset ref (a snapshot id once resolved) materialized at Path.
type Input struct {
	Ref  string `json:"ref"`
	Path string `json:"path"`
}

// Output commits the folder Path to Dataset (an id).
type Output struct {
	Path    string `json:"path"`
	Dataset string `json:"dataset"`
	Message string `json:"message,omitempty"`
}

// JobState is where a step's job is.
type JobState int

// Job states, as the job domain's.
const (
	JobActive JobState = iota // queued, pending or running
	JobSucceeded
	JobFailed
	JobCancelled
)

// JobStatus is what the scheduler reads of a job.
type JobStatus struct {
	State    JobState
	Reason   string
	Message  string
	ExitCode int // of a failed attempt, -1 when it did not exit by itself
	// Outputs map output dataset ids to the snapshot id committed (SUCCEEDED only).
	Outputs map[string]string
}

// Jobs is the job domain as the scheduler uses it. Implementations (pipelinesvc) must make Submit
// idempotent by id: a second Submit with the same id and spec returns the job already made.
type Jobs interface {
	// Check returns the field violations Submit would report for the spec, with fields relative to the job
	// ("command[2]", "resources.cpu"), none when it would be accepted.
	Check(spec JobSpec) []Violation
	// Image is the image Submit would choose for the spec now ("host" locally).
	Image(ctx context.Context, spec JobSpec) (string, error)
	// Submit starts job id.
	Submit(ctx context.Context, id string, spec JobSpec, owner string) error
	// Status reads job id; ErrNotFound when it was never submitted.
	Status(ctx context.Context, id string) (JobStatus, error)
	// Cancel stops job id in any state.
	Cancel(ctx context.Context, id, reason string) error
	// ExportedEnv returns the KEY=VALUE text job id wrote for later steps; ErrNotFound when none.
	ExportedEnv(ctx context.Context, id string) ([]byte, error)
	// Ended returns a channel closed when a job of this process next ends (nil: never), so the scheduler
	// wakes at once rather than at its next poll.
	Ended() <-chan struct{}
	// Instance identifies the compute backend instance: runs are driven by the sidecar of their instance.
	Instance() string
}

// Violation is a field violation.
type Violation struct {
	Field       string
	Description string
}
