package datasetsvc

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/emptypb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Snapshots serves kamld.v1.SnapshotService.
type Snapshots struct {
	kamldv1.UnimplementedSnapshotServiceServer
	engine *dataset.Engine
	opts   options
}

// NewSnapshots returns the service over engine.
func NewSnapshots(engine *dataset.Engine, opts ...Option) *Snapshots {
	return &Snapshots{engine: engine, opts: newOptions(opts)}
}

// snapshotRef parses "datasets/{d}/snapshots/{ref}" where ref names a snapshot (not the draft).
func snapshotRef(field, name string) (ds, ref string, err error) {
	ds, ref, err = resource.ParseScopedChildName(field, name, "snapshots")
	if err != nil {
		return "", "", err
	}
	if ref == resource.DraftRef {
		return "", "", apierr.InvalidArgument(field, `"draft" is the working state, not a snapshot`)
	}
	if _, err := resource.ParseRef(ref); err != nil {
		return "", "", apierr.InvalidArgument(field, "%v", err)
	}
	return ds, ref, nil
}

// CreateSnapshot implements kamld.v1.SnapshotService; the author is the caller.
func (s *Snapshots) CreateSnapshot(ctx context.Context, req *kamldv1.CreateSnapshotRequest) (*kamldv1.Snapshot, error) {
	id, err := resource.ParseScopedName("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	expected := ""
	if h := req.GetExpectedHead(); h != "" {
		ds, ref, err := snapshotRef("expected_head", h)
		if err != nil {
			return nil, err
		}
		if datasetOf(ds) != datasetOf(id) {
			return nil, apierr.InvalidArgument("expected_head", "%q is a snapshot of another dataset", h)
		}
		expected = ref
	}
	snap, err := s.engine.CreateSnapshot(ctx, id, dataset.SnapshotOptions{
		Message: req.GetMessage(), Author: auth.Identity(ctx), AllowEmpty: req.GetAllowEmpty(), ExpectedHead: expected,
	})
	if err != nil {
		return nil, err
	}
	return s.opts.withTables(ctx, datasetOf(id), snap, toSnapshot(snap)), nil
}

// datasetOf is the dataset of a branch-scoped id ("iris@exp" → "iris").
func datasetOf(scoped string) string {
	id, _, _ := strings.Cut(scoped, "@")
	return id
}

// GetSnapshot implements kamld.v1.SnapshotService.
func (s *Snapshots) GetSnapshot(ctx context.Context, req *kamldv1.GetSnapshotRequest) (*kamldv1.Snapshot, error) {
	ds, ref, err := snapshotRef("name", req.GetName())
	if err != nil {
		return nil, err
	}
	snap, err := s.engine.GetSnapshot(ctx, ds, ref)
	if err != nil {
		return nil, err
	}
	return s.opts.withTables(ctx, datasetOf(ds), snap, toSnapshot(snap)), nil
}

// ListSnapshots implements kamld.v1.SnapshotService.
func (s *Snapshots) ListSnapshots(ctx context.Context, req *kamldv1.ListSnapshotsRequest) (*kamldv1.ListSnapshotsResponse, error) {
	id, err := resource.ParseScopedName("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	list, next, err := s.engine.ListSnapshots(ctx, id, dataset.Page{Size: req.GetPageSize(), Token: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	return &kamldv1.ListSnapshotsResponse{Snapshots: each(list, toSnapshot), NextPageToken: next}, nil
}

// DiffSnapshots implements kamld.v1.SnapshotService.
func (s *Snapshots) DiffSnapshots(ctx context.Context, req *kamldv1.DiffSnapshotsRequest) (*kamldv1.DiffSnapshotsResponse, error) {
	id, err := resource.ParseScopedName("dataset", req.GetDataset())
	if err != nil {
		return nil, err
	}
	res, err := s.engine.Diff(ctx, id, dataset.DiffOptions{
		From: req.GetFromRef(), To: req.GetToRef(), PathPrefix: req.GetPathPrefix(),
		Page: dataset.Page{Size: req.GetPageSize(), Token: req.GetPageToken()},
	})
	if err != nil {
		return nil, err
	}
	return &kamldv1.DiffSnapshotsResponse{
		Changes: each(res.Changes, toFileChange), NextPageToken: res.NextToken, Stats: toDiffStats(res.Stats),
		FromSnapshot: resolvedName(datasetOf(id), res.From), ToSnapshot: resolvedName(datasetOf(id), res.To),
	}, nil
}

// RestoreSnapshot implements kamld.v1.SnapshotService.
func (s *Snapshots) RestoreSnapshot(ctx context.Context, req *kamldv1.RestoreSnapshotRequest) (*kamldv1.RestoreSnapshotResponse, error) {
	ds, ref, err := snapshotRef("name", req.GetName()) // a branch-scoped name restores that branch's draft
	if err != nil {
		return nil, err
	}
	stats, err := s.engine.Restore(ctx, ds, ref)
	if err != nil {
		return nil, err
	}
	return &kamldv1.RestoreSnapshotResponse{Changes: toDiffStats(stats)}, nil
}

// CreateTag implements kamld.v1.SnapshotService. tag.snapshot may be a snapshot name or a bare ref.
func (s *Snapshots) CreateTag(ctx context.Context, req *kamldv1.CreateTagRequest) (*kamldv1.Tag, error) {
	id, err := resource.ParseDatasetName("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	if err := resource.ValidateTagID(req.GetTagId()); err != nil {
		return nil, apierr.InvalidArgument("tag_id", "%v", err)
	}
	ref, err := fromRef("tag.snapshot", id, req.GetTag().GetSnapshot())
	if err != nil {
		return nil, err
	}
	if ref == "" {
		return nil, apierr.InvalidArgument("tag.snapshot", "required: the snapshot to name")
	}
	tag, err := s.engine.CreateTag(ctx, id, req.GetTagId(), ref, auth.Identity(ctx), req.GetOverwrite())
	if err != nil {
		return nil, err
	}
	return toTag(id, tag), nil
}

// ListTags implements kamld.v1.SnapshotService.
func (s *Snapshots) ListTags(ctx context.Context, req *kamldv1.ListTagsRequest) (*kamldv1.ListTagsResponse, error) {
	id, err := resource.ParseDatasetName("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	tags, next, err := s.engine.ListTags(ctx, id, dataset.Page{Size: req.GetPageSize(), Token: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	toTagOf := func(t *dataset.Tag) *kamldv1.Tag { return toTag(id, t) }
	return &kamldv1.ListTagsResponse{Tags: each(tags, toTagOf), NextPageToken: next}, nil
}

// DeleteTag implements kamld.v1.SnapshotService.
func (s *Snapshots) DeleteTag(ctx context.Context, req *kamldv1.DeleteTagRequest) (*emptypb.Empty, error) {
	ds, tag, err := resource.ParseChildName("name", req.GetName(), "tags")
	if err != nil {
		return nil, err
	}
	if err := s.engine.DeleteTag(ctx, ds, tag); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
