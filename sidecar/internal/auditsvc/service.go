// Package auditsvc serves kamld.v1.AuditService over the audit log (package audit).
package auditsvc

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/audit"
	"github.com/kamld/kamld/sidecar/internal/auth"
)

const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// Service is AuditService. Only platform admins read the log.
type Service struct {
	kamldv1.UnimplementedAuditServiceServer
	log *audit.Log // nil when the audit log is off
}

// New serves log; a nil log answers FAILED_PRECONDITION.
func New(log *audit.Log) *Service { return &Service{log: log} }

// ListAuditRecords implements kamld.v1.AuditService.
func (s *Service) ListAuditRecords(ctx context.Context, req *kamldv1.ListAuditRecordsRequest) (*kamldv1.ListAuditRecordsResponse, error) {
	if p, _ := auth.PrincipalFrom(ctx); !p.Admin {
		return nil, apierr.New(codes.PermissionDenied, kamldv1.ErrorReason_ERROR_REASON_PERMISSION_DENIED, "the audit log is for platform admins; %s is not in an admin group (auth.admin_groups)", p.Name)
	}
	if s.log == nil {
		return nil, apierr.New(codes.FailedPrecondition, kamldv1.ErrorReason_ERROR_REASON_FAILED_PRECONDITION, "the audit log is off (audit.mode: off, or auto in single mode)")
	}
	q := audit.Query{Subject: req.GetSubject(), Dataset: req.GetDataset(), Method: req.GetMethod(), Outcome: req.GetOutcome(),
		PageSize: defaultPageSize, PageToken: req.GetPageToken()}
	if n := int(req.GetPageSize()); n > 0 {
		q.PageSize = min(n, maxPageSize)
	}
	if req.GetStartTime() != nil {
		q.Since = req.GetStartTime().AsTime()
	}
	if req.GetEndTime() != nil {
		q.Until = req.GetEndTime().AsTime()
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return nil, apierr.InvalidArgument("end_time", "must be after start_time")
	}
	recs, next, err := s.log.List(ctx, q)
	if errors.Is(err, audit.ErrBadPageToken) {
		return nil, apierr.InvalidArgument("page_token", "%v", err)
	}
	if err != nil {
		return nil, err
	}
	resp := &kamldv1.ListAuditRecordsResponse{NextPageToken: next}
	for _, r := range recs {
		resp.Records = append(resp.Records, &kamldv1.AuditRecord{
			Time: timestamppb.New(r.Time), Subject: r.Subject, Groups: r.Groups, Kind: r.Kind, Method: r.Method,
			Dataset: r.Resource, Outcome: r.Outcome, Reason: r.Reason, RequestId: r.RequestID, ClientAddress: r.ClientAddr,
		})
	}
	return resp, nil
}
