// Package pipelinesvc serves kamld.v1.PipelineService over the pipeline domain (package pipeline), and
// adapts the job domain to what the pipeline scheduler needs (Jobs).
package pipelinesvc

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/pipeline"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Service implements kamld.v1.PipelineService.
type Service struct {
	kamldv1.UnimplementedPipelineServiceServer
	m *pipeline.Manager
}

// New returns the service over a manager.
func New(m *pipeline.Manager) *Service { return &Service{m: m} }

func runID(name string) (string, error) {
	id, ok := strings.CutPrefix(name, "pipelineRuns/")
	if !ok || resource.ValidateDatasetID(id) != nil {
		return "", apierr.InvalidArgument("name", "%q is not a pipeline run name; want pipelineRuns/{run}", name)
	}
	return id, nil
}

// PlanPipeline implements kamld.v1.PipelineService.
func (s *Service) PlanPipeline(ctx context.Context, req *kamldv1.PlanPipelineRequest) (*kamldv1.PipelinePlan, error) {
	p, err := s.m.Plan(ctx, pipeline.Request{Source: []byte(req.GetSource()), Params: req.GetParameters(), Files: req.GetFiles(),
		BaseDir: req.GetBaseDir(), RerunFrom: req.GetRerunFrom()})
	if err != nil {
		return nil, err
	}
	out := &kamldv1.PipelinePlan{Pipeline: p.Pipeline}
	for _, st := range p.Steps {
		sp := &kamldv1.PipelineStepPlan{Name: st.Name, DependsOn: st.Deps, Action: string(st.Action), Reasons: st.Reasons,
			CacheKey: st.Key, Image: st.Image, ImageNote: st.ImageNote}
		if st.CachedFrom != "" {
			sp.CachedFrom, sp.CachedJob = "pipelineRuns/"+st.CachedFrom, "jobs/"+st.CachedJob
		}
		out.Steps = append(out.Steps, sp)
	}
	return out, nil
}

// RunPipeline implements kamld.v1.PipelineService; the owner is the caller.
func (s *Service) RunPipeline(ctx context.Context, req *kamldv1.RunPipelineRequest) (*kamldv1.PipelineRun, error) {
	r, err := s.m.Run(ctx, pipeline.Request{Source: []byte(req.GetSource()), Params: req.GetParameters(), Files: req.GetFiles(),
		BaseDir: req.GetBaseDir(), RerunFrom: req.GetRerunFrom()}, req.GetRunId(), auth.Identity(ctx))
	if err != nil {
		return nil, err
	}
	return RunToProto(r), nil
}

// GetPipelineRun implements kamld.v1.PipelineService.
func (s *Service) GetPipelineRun(ctx context.Context, req *kamldv1.GetPipelineRunRequest) (*kamldv1.PipelineRun, error) {
	id, err := runID(req.GetName())
	if err != nil {
		return nil, err
	}
	r, err := s.m.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return RunToProto(r), nil
}

// ListPipelineRuns implements kamld.v1.PipelineService.
func (s *Service) ListPipelineRuns(ctx context.Context, req *kamldv1.ListPipelineRunsRequest) (*kamldv1.ListPipelineRunsResponse, error) {
	runs, next, err := s.m.List(ctx, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &kamldv1.ListPipelineRunsResponse{NextPageToken: next}
	for _, r := range runs {
		out.Runs = append(out.Runs, RunToProto(r))
	}
	return out, nil
}

// CancelPipelineRun implements kamld.v1.PipelineService.
func (s *Service) CancelPipelineRun(ctx context.Context, req *kamldv1.CancelPipelineRunRequest) (*kamldv1.PipelineRun, error) {
	id, err := runID(req.GetName())
	if err != nil {
		return nil, err
	}
	r, err := s.m.Cancel(ctx, id, req.GetReason())
	if err != nil {
		return nil, err
	}
	return RunToProto(r), nil
}

// WatchPipelineRun implements kamld.v1.PipelineService.
func (s *Service) WatchPipelineRun(req *kamldv1.WatchPipelineRunRequest, stream grpc.ServerStreamingServer[kamldv1.PipelineRun]) error {
	id, err := runID(req.GetName())
	if err != nil {
		return err
	}
	return s.m.Watch(stream.Context(), id, func(r *pipeline.Run) error { return stream.Send(RunToProto(r)) })
}

var runStates = map[pipeline.RunState]kamldv1.PipelineRunState{
	pipeline.RunRunning: kamldv1.PipelineRunState_PIPELINE_RUN_STATE_RUNNING, pipeline.RunSucceeded: kamldv1.PipelineRunState_PIPELINE_RUN_STATE_SUCCEEDED,
	pipeline.RunFailed: kamldv1.PipelineRunState_PIPELINE_RUN_STATE_FAILED, pipeline.RunCancelled: kamldv1.PipelineRunState_PIPELINE_RUN_STATE_CANCELLED,
}

var stepStates = map[pipeline.StepState]kamldv1.PipelineStepState{
	pipeline.StepWaiting: kamldv1.PipelineStepState_PIPELINE_STEP_STATE_WAITING, pipeline.StepRunning: kamldv1.PipelineStepState_PIPELINE_STEP_STATE_RUNNING,
	pipeline.StepSucceeded: kamldv1.PipelineStepState_PIPELINE_STEP_STATE_SUCCEEDED, pipeline.StepCached: kamldv1.PipelineStepState_PIPELINE_STEP_STATE_CACHED,
	pipeline.StepFailed: kamldv1.PipelineStepState_PIPELINE_STEP_STATE_FAILED, pipeline.StepCancelled: kamldv1.PipelineStepState_PIPELINE_STEP_STATE_CANCELLED,
	pipeline.StepSkipped: kamldv1.PipelineStepState_PIPELINE_STEP_STATE_SKIPPED,
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// RunToProto maps a run to the API's PipelineRun.
func RunToProto(r *pipeline.Run) *kamldv1.PipelineRun {
	out := &kamldv1.PipelineRun{Name: "pipelineRuns/" + r.ID, Pipeline: r.Pipeline, State: runStates[r.State], Message: r.Message,
		Owner: r.Owner, Parameters: r.Params, CreateTime: ts(r.Created), EndTime: ts(r.Ended), RerunFrom: r.RerunFrom,
		PinnedInputs: map[string]string{}, CancelRequested: r.CancelRequested, Source: string(r.Source)}
	for ref, pinned := range r.Pinned {
		out.PinnedInputs[ref] = snapshotName(pinned)
	}
	for _, s := range r.Steps {
		ps := &kamldv1.PipelineStep{Name: s.Name, State: stepStates[s.State], DependsOn: s.Deps, Attempt: int32(s.Attempt),
			CacheKey: s.Key, Reasons: s.Reasons, Message: s.Message, ImageNote: s.ImageNote, StartTime: ts(s.Started),
			EndTime: ts(s.Ended), Outputs: map[string]string{}, ExportedEnv: slices.Sorted(maps.Keys(s.Exported))}
		for _, j := range s.Jobs {
			ps.Jobs = append(ps.Jobs, "jobs/"+j)
		}
		if n := len(ps.Jobs); n > 0 {
			ps.Job = ps.Jobs[n-1]
		}
		if s.CachedFrom != "" {
			ps.CachedFrom, ps.CachedJob = "pipelineRuns/"+s.CachedFrom, "jobs/"+s.CachedJob
		}
		for folder, ref := range s.Outputs {
			ps.Outputs[folder] = snapshotName(ref)
		}
		out.Steps = append(out.Steps, ps)
	}
	return out
}

// snapshotName turns "dataset@<snapshot id>" into "datasets/{dataset}/snapshots/{snapshot}".
func snapshotName(ref string) string {
	ds, snap, _ := strings.Cut(ref, "@")
	return resource.DatasetName(ds) + "/snapshots/" + snap
}
