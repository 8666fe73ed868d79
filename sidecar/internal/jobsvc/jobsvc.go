// Package jobsvc serves kamld.v1.JobService over the job domain (package job).
package jobsvc

import (
	"context"
	"strings"

	"google.golang.org/grpc"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/job"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Service implements kamld.v1.JobService.
type Service struct {
	kamldv1.UnimplementedJobServiceServer
	jobs *job.Manager
}

// New returns the service over a manager.
func New(jobs *job.Manager) *Service { return &Service{jobs: jobs} }

func jobID(field, name string) (string, error) {
	id, ok := strings.CutPrefix(name, "jobs/")
	if !ok || resource.ValidateDatasetID(id) != nil {
		return "", apierr.InvalidArgument(field, "%q is not a job name; want jobs/{job}", name)
	}
	return id, nil
}

// SubmitJob implements kamld.v1.JobService; the owner is the caller.
func (s *Service) SubmitJob(ctx context.Context, req *kamldv1.SubmitJobRequest) (*kamldv1.Job, error) {
	return s.jobs.Submit(ctx, req.GetJob(), req.GetJobId(), auth.Identity(ctx))
}

// GetJob implements kamld.v1.JobService.
func (s *Service) GetJob(ctx context.Context, req *kamldv1.GetJobRequest) (*kamldv1.Job, error) {
	id, err := jobID("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return s.jobs.Get(ctx, id)
}

// ListJobs implements kamld.v1.JobService.
func (s *Service) ListJobs(ctx context.Context, req *kamldv1.ListJobsRequest) (*kamldv1.ListJobsResponse, error) {
	for _, st := range req.GetStates() {
		if _, ok := kamldv1.JobState_name[int32(st)]; !ok || st == kamldv1.JobState_JOB_STATE_UNSPECIFIED {
			return nil, apierr.InvalidArgument("states", "%d is not a job state", st)
		}
	}
	jobs, next, err := s.jobs.List(ctx, job.ListOptions{States: req.GetStates(), Owner: req.GetOwner(), Labels: req.GetLabels(),
		PageSize: req.GetPageSize(), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	return &kamldv1.ListJobsResponse{Jobs: jobs, NextPageToken: next}, nil
}

// CancelJob implements kamld.v1.JobService.
func (s *Service) CancelJob(ctx context.Context, req *kamldv1.CancelJobRequest) (*kamldv1.Job, error) {
	id, err := jobID("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return s.jobs.Cancel(ctx, id, req.GetReason())
}

// WatchJob implements kamld.v1.JobService.
func (s *Service) WatchJob(req *kamldv1.WatchJobRequest, stream grpc.ServerStreamingServer[kamldv1.JobEvent]) error {
	id, err := jobID("name", req.GetName())
	if err != nil {
		return err
	}
	return s.jobs.Watch(stream.Context(), id, stream.Send)
}

// StreamJobLogs implements kamld.v1.JobService.
func (s *Service) StreamJobLogs(req *kamldv1.StreamJobLogsRequest, stream grpc.ServerStreamingServer[kamldv1.LogChunk]) error {
	id, err := jobID("name", req.GetName())
	if err != nil {
		return err
	}
	return s.jobs.Logs(stream.Context(), id, req.GetAttempt(), req.GetOffset(), req.GetFollow(), func(c job.Chunk) error {
		return stream.Send(&kamldv1.LogChunk{Text: c.Text, Offset: c.Offset, Attempt: c.Attempt})
	})
}

// ListFlavors implements kamld.v1.JobService.
func (s *Service) ListFlavors(ctx context.Context, _ *kamldv1.ListFlavorsRequest) (*kamldv1.ListFlavorsResponse, error) {
	fl, err := s.jobs.Flavors(ctx)
	if err != nil {
		return nil, err
	}
	return &kamldv1.ListFlavorsResponse{Flavors: fl}, nil
}
