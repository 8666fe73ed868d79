package datasetsvc

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Datasets serves kamld.v1.DatasetService.
type Datasets struct {
	kamldv1.UnimplementedDatasetServiceServer
	engine *dataset.Engine
	opts   options
}

// NewDatasets returns the service over engine.
func NewDatasets(engine *dataset.Engine, opts ...Option) *Datasets {
	return &Datasets{engine: engine, opts: newOptions(opts)}
}

func metadataOf(d *kamldv1.Dataset) dataset.Metadata {
	return dataset.Metadata{Description: d.GetDescription(), Tags: d.GetTags(), Labels: d.GetLabels(), Owner: d.GetOwner()}
}

// CreateDataset implements kamld.v1.DatasetService; the owner defaults to the caller.
func (s *Datasets) CreateDataset(ctx context.Context, req *kamldv1.CreateDatasetRequest) (*kamldv1.Dataset, error) {
	if err := resource.ValidateDatasetID(req.GetDatasetId()); err != nil {
		return nil, apierr.InvalidArgument("dataset_id", "%v", err)
	}
	m := metadataOf(req.GetDataset())
	if m.Owner == "" {
		m.Owner = auth.Identity(ctx)
	}
	d, err := s.engine.CreateDataset(ctx, req.GetDatasetId(), m)
	if err != nil {
		return nil, err
	}
	return toDataset(d), nil
}

// GetDataset implements kamld.v1.DatasetService.
func (s *Datasets) GetDataset(ctx context.Context, req *kamldv1.GetDatasetRequest) (*kamldv1.Dataset, error) {
	id, err := resource.ParseScopedName("name", req.GetName())
	if err != nil {
		return nil, err
	}
	d, err := s.engine.GetDataset(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.opts.withHeadTables(ctx, s.engine, d, toDataset(d)), nil
}

// ListDatasets implements kamld.v1.DatasetService. Only the default order (by name) is served by the store's
// listing; other orders belong to SearchService.
func (s *Datasets) ListDatasets(ctx context.Context, req *kamldv1.ListDatasetsRequest) (*kamldv1.ListDatasetsResponse, error) {
	if o := req.GetOrderBy(); o != "" && o != "name" {
		return nil, apierr.InvalidArgument("order_by", "%q: only \"name\" is served here; use SearchService.SearchDatasets to sort by time or size", o)
	}
	list, next, err := s.engine.ListDatasets(ctx, dataset.Page{Size: req.GetPageSize(), Token: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	return &kamldv1.ListDatasetsResponse{Datasets: each(list, toDataset), NextPageToken: next}, nil
}

// UpdateDataset implements kamld.v1.DatasetService.
func (s *Datasets) UpdateDataset(ctx context.Context, req *kamldv1.UpdateDatasetRequest) (*kamldv1.Dataset, error) {
	id, err := resource.ParseDatasetName("dataset.name", req.GetDataset().GetName())
	if err != nil {
		return nil, err
	}
	mask := req.GetUpdateMask().GetPaths()
	for _, p := range mask {
		switch p {
		case dataset.FieldDescription, dataset.FieldTags, dataset.FieldLabels, dataset.FieldOwner:
		default:
			return nil, apierr.InvalidArgument("update_mask", "%q is not an updatable field (description, tags, labels, owner)", p)
		}
	}
	d, err := s.engine.UpdateDataset(ctx, id, metadataOf(req.GetDataset()), mask, req.GetDataset().GetEtag())
	if err != nil {
		return nil, err
	}
	return toDataset(d), nil
}

// DeleteDataset implements kamld.v1.DatasetService.
func (s *Datasets) DeleteDataset(ctx context.Context, req *kamldv1.DeleteDatasetRequest) (*emptypb.Empty, error) {
	id, err := resource.ParseDatasetName("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if err := s.engine.DeleteDataset(ctx, id, req.GetEtag()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
