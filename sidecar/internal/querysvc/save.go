package querysvc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/datasetsvc"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// parquetMediaType is the media type saved results are stored with.
const parquetMediaType = "application/vnd.apache.parquet"

type saveRequest struct {
	dataset, path string
	limits        limits
}

// checkSave validates a SaveQueryResultRequest's fields, all violations at once.
func checkSave(req *kamldv1.SaveQueryResultRequest) (saveRequest, error) {
	l, err := checkRequest(&kamldv1.ExecuteQueryRequest{Sql: req.GetSql(), MaxRows: req.GetMaxRows(), Timeout: req.GetTimeout()})
	var v []apierr.FieldViolation
	var ae *apierr.Error
	if errors.As(err, &ae) {
		v = append(v, ae.Violations...)
	}
	out := saveRequest{limits: l, path: req.GetPath()}
	if req.GetMaxRows() == 0 {
		out.limits.maxRows = MaxMaxRows
	}
	id, err := resource.ParseDatasetName("dataset", req.GetDataset())
	if errors.As(err, &ae) {
		v = append(v, ae.Violations...)
	}
	out.dataset = id
	if err := resource.ValidatePath(out.path); err != nil {
		v = append(v, apierr.FieldViolation{Field: "path", Description: err.Error()})
	} else if !strings.HasSuffix(strings.ToLower(out.path), ".parquet") {
		v = append(v, apierr.FieldViolation{Field: "path", Description: fmt.Sprintf("%q must end in .parquet (results are saved as Parquet)", out.path)})
	}
	return out, apierr.InvalidArguments(v)
}

// SaveQueryResult implements kamld.v1.QueryService: the engine writes the query's result to a local Parquet
// file, which is ingested into the dataset's draft like any upload (hashed and verified), and the draft is
// snapshotted.
func (s *Service) SaveQueryResult(ctx context.Context, req *kamldv1.SaveQueryResultRequest) (*kamldv1.SaveQueryResultResponse, error) {
	sr, err := checkSave(req)
	if err != nil {
		return nil, err
	}
	x, ok := s.engine.(query.Exporter)
	if !ok {
		return nil, fmt.Errorf("the %s engine cannot save results; use the duckdb engine: %w", s.engine.Name(), apierr.ErrFailedPrecondition)
	}
	st, err := s.guard.Check(req.GetSql())
	if err != nil {
		return nil, guard.AsAPIError(req.GetSql(), err)
	}
	if !st.Query {
		return nil, apierr.InvalidArgument("sql", "only a SELECT or WITH query can be saved, not %s", st.Kind)
	}
	ctx, stop := context.WithTimeout(ctx, sr.limits.timeout)
	defer stop()
	// The statement's tables are checked before anything is created: a refused statement leaves no dataset.
	schemas, err := s.resolve(ctx, st)
	if err != nil {
		return nil, err
	}
	if err := s.ensureDataset(ctx, sr.dataset, req.GetCreateDataset()); err != nil {
		return nil, err
	}
	path, rows, release, err := x.ExportParquet(ctx, query.Request{ID: sr.limits.id, Statement: st, Schemas: schemas, MaxRows: sr.limits.maxRows})
	if err != nil {
		return nil, s.engineErr(st, err)
	}
	defer release()
	if rows > sr.limits.maxRows {
		return nil, apierr.InvalidArgument("max_rows", "the result has more than %d rows; raise max_rows (at most %d) or narrow the query", sr.limits.maxRows, MaxMaxRows)
	}
	fi, err := s.ingest(ctx, sr, path, req.GetOverwrite())
	if err != nil {
		return nil, err
	}
	snap, err := s.datasets.CreateSnapshot(ctx, sr.dataset, dataset.SnapshotOptions{Message: req.GetMessage(), Author: auth.Identity(ctx), AllowEmpty: true})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "query result saved", "dataset", sr.dataset, "path", sr.path, "rows", rows, "snapshot", snap.ID)
	return &kamldv1.SaveQueryResultResponse{
		Snapshot: datasetsvc.SnapshotProto(ctx, s.catalog, sr.dataset, snap),
		File:     datasetsvc.FileInfoProto(fi),
		Rows:     rows,
	}, nil
}

// ensureDataset checks the dataset exists, creating it (owned by the caller) when asked to.
func (s *Service) ensureDataset(ctx context.Context, id string, create bool) error {
	_, err := s.datasets.GetDataset(ctx, id)
	if err == nil || !create || !errors.Is(err, apierr.ErrNotFound) {
		return err
	}
	_, err = s.datasets.CreateDataset(ctx, id, dataset.Metadata{Owner: auth.Identity(ctx)})
	if errors.Is(err, apierr.ErrAlreadyExists) { // created meanwhile by someone else: use it
		return nil
	}
	return err
}

// ingest stores the exported file at the request's path in the draft through the dataset engine's verified
// write path.
func (s *Service) ingest(ctx context.Context, sr saveRequest, local string, overwrite bool) (*dataset.FileInfo, error) {
	f, err := os.Open(local)
	if err != nil {
		return nil, fmt.Errorf("saved result: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("saved result: %w", err)
	}
	return s.datasets.WriteFile(ctx, sr.dataset, sr.path, f, dataset.WriteOptions{
		MediaType: parquetMediaType, ExpectedSize: info.Size(), CreateOnly: !overwrite,
	})
}
