package datasetsvc

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/emptypb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Branches serves kamld.v1.BranchService.
type Branches struct {
	kamldv1.UnimplementedBranchServiceServer
	engine *dataset.Engine
}

// NewBranches returns the service over engine.
func NewBranches(engine *dataset.Engine) *Branches { return &Branches{engine: engine} }

func branchName(ds, branch string) string {
	return resource.DatasetName(ds) + "/branches/" + branch
}

func toBranch(ds string, b *dataset.Branch) *kamldv1.Branch {
	out := &kamldv1.Branch{Name: branchName(ds, b.Name), From: snapshotName(ds, b.From), Head: snapshotName(ds, b.Head),
		Author: b.Author, CreateTime: ts(b.CreateTime), IsDefault: b.Default}
	if b.HeadSequence > 0 {
		out.HeadVersion = "v" + strconv.FormatInt(b.HeadSequence, 10)
	}
	return out
}

// fromRef accepts a snapshot resource name of dataset id or a bare ref, and returns the ref.
func fromRef(field, id, ref string) (string, error) {
	if !strings.HasPrefix(ref, resource.DatasetCollection+"/") {
		return ref, nil
	}
	ds, r, err := snapshotRef(field, ref)
	if err != nil {
		return "", err
	}
	if datasetOf(ds) != id {
		return "", apierr.InvalidArgument(field, "%q is a snapshot of another dataset", ref)
	}
	return r, nil
}

// CreateBranch implements kamld.v1.BranchService; the author is the caller.
func (s *Branches) CreateBranch(ctx context.Context, req *kamldv1.CreateBranchRequest) (*kamldv1.Branch, error) {
	id, err := resource.ParseDatasetName("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	from, err := fromRef("branch.from", id, req.GetBranch().GetFrom())
	if err != nil {
		return nil, err
	}
	b, err := s.engine.CreateBranch(ctx, id, req.GetBranchId(), from, auth.Identity(ctx))
	if err != nil {
		return nil, err
	}
	return toBranch(id, b), nil
}

// GetBranch implements kamld.v1.BranchService.
func (s *Branches) GetBranch(ctx context.Context, req *kamldv1.GetBranchRequest) (*kamldv1.Branch, error) {
	id, name, err := resource.ParseChildName("name", req.GetName(), "branches")
	if err != nil {
		return nil, err
	}
	b, err := s.engine.GetBranch(ctx, id, name)
	if err != nil {
		return nil, err
	}
	return toBranch(id, b), nil
}

// ListBranches implements kamld.v1.BranchService.
func (s *Branches) ListBranches(ctx context.Context, req *kamldv1.ListBranchesRequest) (*kamldv1.ListBranchesResponse, error) {
	id, err := resource.ParseDatasetName("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	list, next, err := s.engine.ListBranches(ctx, id, dataset.Page{Size: req.GetPageSize(), Token: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	return &kamldv1.ListBranchesResponse{Branches: each(list, func(b *dataset.Branch) *kamldv1.Branch { return toBranch(id, b) }), NextPageToken: next}, nil
}

// DeleteBranch implements kamld.v1.BranchService.
func (s *Branches) DeleteBranch(ctx context.Context, req *kamldv1.DeleteBranchRequest) (*emptypb.Empty, error) {
	id, name, err := resource.ParseChildName("name", req.GetName(), "branches")
	if err != nil {
		return nil, err
	}
	if err := s.engine.DeleteBranch(ctx, id, name); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// RenameBranch implements kamld.v1.BranchService.
func (s *Branches) RenameBranch(ctx context.Context, req *kamldv1.RenameBranchRequest) (*kamldv1.Branch, error) {
	id, name, err := resource.ParseChildName("name", req.GetName(), "branches")
	if err != nil {
		return nil, err
	}
	b, err := s.engine.RenameBranch(ctx, id, name, req.GetNewBranchId())
	if err != nil {
		return nil, err
	}
	return toBranch(id, b), nil
}

var strategies = map[kamldv1.MergeStrategy]dataset.MergeStrategy{
	kamldv1.MergeStrategy_MERGE_STRATEGY_UNSPECIFIED: dataset.MergeFail,
	kamldv1.MergeStrategy_MERGE_STRATEGY_OURS:        dataset.MergeOurs,
	kamldv1.MergeStrategy_MERGE_STRATEGY_THEIRS:      dataset.MergeTheirs,
}

func toStrategy(field string, s kamldv1.MergeStrategy) (dataset.MergeStrategy, error) {
	out, ok := strategies[s]
	if !ok {
		return 0, apierr.InvalidArgument(field, "unknown merge strategy %d", s)
	}
	return out, nil
}

// MergeBranch implements kamld.v1.BranchService; the author is the caller. Conflicts are FAILED_PRECONDITION
// with a MergeConflicts detail listing every one.
func (s *Branches) MergeBranch(ctx context.Context, req *kamldv1.MergeBranchRequest) (*kamldv1.MergeBranchResponse, error) {
	id, name, err := resource.ParseChildName("name", req.GetName(), "branches")
	if err != nil {
		return nil, err
	}
	source, err := fromRef("source", id, req.GetSource())
	if err != nil {
		return nil, err
	}
	if source == "" {
		return nil, apierr.InvalidArgument("source", "required: the branch, tag or snapshot to merge")
	}
	opts := dataset.MergeOptions{Message: req.GetMessage(), Author: auth.Identity(ctx), PathStrategies: map[string]dataset.MergeStrategy{}}
	if opts.Strategy, err = toStrategy("strategy", req.GetStrategy()); err != nil {
		return nil, err
	}
	for p, st := range req.GetPathStrategies() {
		if opts.PathStrategies[p], err = toStrategy("path_strategies", st); err != nil {
			return nil, err
		}
	}
	res, err := s.engine.MergeBranch(ctx, id, source, name, opts)
	var ce *dataset.MergeConflictError
	if errors.As(err, &ce) {
		return nil, conflictStatus(id, ce)
	}
	if err != nil {
		return nil, err
	}
	return &kamldv1.MergeBranchResponse{
		Snapshot: toSnapshot(res.Snapshot), FastForward: res.FastForward, UpToDate: res.UpToDate,
		Base: snapshotName(id, res.Base), Stats: toDiffStats(res.Stats),
		Resolved: each(res.Resolved, toConflict),
	}, nil
}

func toConflict(c *dataset.MergeConflict) *kamldv1.MergeConflict {
	info := func(f *dataset.FileInfo) *kamldv1.FileInfo {
		if f == nil {
			return nil
		}
		return toFileInfo(f)
	}
	return &kamldv1.MergeConflict{Path: c.Path, Base: info(c.Base), Ours: info(c.Ours), Theirs: info(c.Theirs)}
}

// conflictStatus is the FAILED_PRECONDITION of a conflicting merge, its conflicts in a MergeConflicts detail.
func conflictStatus(id string, ce *dataset.MergeConflictError) error {
	detail := &kamldv1.MergeConflicts{Source: ce.Source, Target: branchName(id, ce.Target), Conflicts: each(ce.Conflicts, toConflict)}
	return &apierr.Error{Code: codes.FailedPrecondition, Reason: kamldv1.ErrorReason_ERROR_REASON_MERGE_CONFLICT, Message: ce.Error(),
		Metadata: map[string]string{"conflicts": strconv.Itoa(len(ce.Conflicts))},
		Details:  []protoadapt.MessageV1{protoadapt.MessageV1Of(detail)}}
}
