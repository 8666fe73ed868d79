package pipelinesvc

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/durationpb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/job"
	"github.com/kamld/kamld/sidecar/internal/pipeline"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Jobs adapts the job domain to pipeline.Jobs: a step's job is an ordinary kamld.v1.Job, so flavors, logs,
// events, branches and the exactly-once commit of outputs hold for steps as for any job.
type Jobs struct{ M *job.Manager }

var _ pipeline.Jobs = Jobs{}

// toJob maps a step's job to the API's Job.
func toJob(s pipeline.JobSpec) *kamldv1.Job {
	j := &kamldv1.Job{DisplayName: s.DisplayName, Flavor: s.Flavor, Command: s.Command, Notebook: s.Notebook,
		Env: s.Env, NodeSelector: s.NodeSelector, Labels: s.Labels,
		Resources: &kamldv1.Resources{Cpu: s.Resources.CPU, Memory: s.Resources.Memory, Gpu: s.Resources.GPU}}
	for _, f := range s.Files {
		content := f.Content
		if content == nil {
			content = []byte{}
		}
		j.WorkingFiles = append(j.WorkingFiles, &kamldv1.WorkFile{Path: f.Path, Content: content, Executable: f.Executable})
	}
	for _, in := range s.Inputs {
		j.Inputs = append(j.Inputs, &kamldv1.JobInput{Ref: in.Ref, Path: in.Path})
	}
	for _, o := range s.Outputs {
		j.Outputs = append(j.Outputs, &kamldv1.JobOutput{Path: o.Path, Dataset: resource.DatasetName(o.Dataset), Message: o.Message})
	}
	if s.Timeout > 0 {
		j.Timeout = durationpb.New(s.Timeout)
	}
	return j
}

// Check implements pipeline.Jobs.
func (a Jobs) Check(s pipeline.JobSpec) []pipeline.Violation {
	err := a.M.Validate(toJob(s))
	var e *apierr.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []pipeline.Violation
	for _, v := range e.Violations {
		out = append(out, pipeline.Violation{Field: strings.TrimPrefix(v.Field, "job."), Description: v.Description})
	}
	return out
}

// Image implements pipeline.Jobs.
func (a Jobs) Image(ctx context.Context, s pipeline.JobSpec) (string, error) {
	return a.M.ImageFor(ctx, toJob(s))
}

// Submit implements pipeline.Jobs.
func (a Jobs) Submit(ctx context.Context, id string, s pipeline.JobSpec, owner string) error {
	_, err := a.M.SubmitWith(ctx, toJob(s), id, owner, job.SubmitOptions{ExportEnv: true})
	return err
}

// exitCodeRE finds the exit code the job domain writes into a failure's message.
var exitCodeRE = regexp.MustCompile(`code (-?[0-9]+)`)

// Status implements pipeline.Jobs.
func (a Jobs) Status(ctx context.Context, id string) (pipeline.JobStatus, error) {
	j, err := a.M.Get(ctx, id)
	if err != nil {
		return pipeline.JobStatus{}, err
	}
	st := pipeline.JobStatus{State: pipeline.JobActive, ExitCode: -1}
	if n := len(j.Events); n > 0 {
		st.Reason, st.Message = j.Events[n-1].Reason, j.Events[n-1].Message
	}
	switch j.State {
	case kamldv1.JobState_JOB_STATE_SUCCEEDED:
		st.State, st.Outputs = pipeline.JobSucceeded, map[string]string{}
		for _, name := range j.OutputSnapshots {
			if ds, snap, err := resource.ParseChildName("", name, "snapshots"); err == nil {
				st.Outputs[ds] = snap
			}
		}
	case kamldv1.JobState_JOB_STATE_FAILED:
		st.State = pipeline.JobFailed
		if m := exitCodeRE.FindStringSubmatch(st.Message); m != nil && st.Reason == "Error" {
			st.ExitCode, _ = strconv.Atoi(m[1])
		}
	case kamldv1.JobState_JOB_STATE_CANCELLED:
		st.State = pipeline.JobCancelled
	}
	return st, nil
}

// Cancel implements pipeline.Jobs.
func (a Jobs) Cancel(ctx context.Context, id, reason string) error {
	_, err := a.M.Cancel(ctx, id, reason)
	return err
}

// ExportedEnv implements pipeline.Jobs: the latest attempt's file.
func (a Jobs) ExportedEnv(ctx context.Context, id string) ([]byte, error) {
	j, err := a.M.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	rc, err := a.M.ExportedEnv(ctx, id, j.Attempt)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 1<<20))
}

// Ended implements pipeline.Jobs.
func (a Jobs) Ended() <-chan struct{} { return a.M.Ended() }

// Instance implements pipeline.Jobs.
func (a Jobs) Instance() string { return a.M.Instance() }
