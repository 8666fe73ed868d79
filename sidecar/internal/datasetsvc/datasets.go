package datasetsvc

import (
	"context"
	"slices"

	"google.golang.org/protobuf/types/known/emptypb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/access"
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
	m.Visibility = access.Visibility(req.GetVisibility())
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

// ListDatasets implements kamld.v1.DatasetService: every order dataset.proto documents, the access and id
// filters, and total_size (see listing.go).
func (s *Datasets) ListDatasets(ctx context.Context, req *kamldv1.ListDatasetsRequest) (*kamldv1.ListDatasetsResponse, error) {
	order, ok := datasetOrders[req.GetOrderBy()]
	if !ok {
		return nil, apierr.InvalidArgument("order_by", "%q is not an order: use \"name\" (the default), \"update_time desc\", \"create_time desc\" or \"size desc\"", req.GetOrderBy())
	}
	if req.GetPageSize() < 0 {
		return nil, apierr.InvalidArgument("page_size", "%d is negative", req.GetPageSize())
	}
	keep, ok := accessFilters[req.GetAccess()]
	if !ok {
		return nil, apierr.InvalidArgument("access", "%q is not a filter: use \"mine\", \"shared\" or nothing", req.GetAccess())
	}
	match, err := idFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	key := listKey(req.GetOrderBy(), req.GetAccess(), req.GetFilter())
	offset, err := parseListToken(req.GetPageToken(), key)
	if err != nil {
		return nil, err
	}
	recs, err := s.engine.ListRecords(ctx)
	if err != nil {
		return nil, err
	}
	recs = slices.DeleteFunc(recs, func(r dataset.Record) bool { return !match(r.ID) || !keep(ctx, r.Access) })
	size := int(req.GetPageSize())
	if size == 0 {
		size = dataset.DefaultPageSize
	}
	size = min(size, dataset.MaxPageSize)
	page, total, err := s.listPage(ctx, recs, order, offset, size)
	if err != nil {
		return nil, err
	}
	next := ""
	if end := min(offset, total) + size; end < total {
		next = listToken(end, key)
	}
	return &kamldv1.ListDatasetsResponse{Datasets: each(page, toDataset), NextPageToken: next, TotalSize: int64(total)}, nil
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
