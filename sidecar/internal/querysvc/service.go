// Package querysvc serves kamld.v1.QueryService over a SQL engine (package query): it checks requests,
// resolves the datasets a statement names, runs it and maps rows, schemas and errors to messages. It also
// keeps the registry of running queries that CancelQuery stops.
package querysvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/audit"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/datasetsvc"
	"github.com/kamld/kamld/sidecar/internal/observe"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/resource"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// Limits of ExecuteQuery and PreviewFile (query.proto).
const (
	DefaultMaxRows   = 10_000
	MaxMaxRows       = 10_000_000
	DefaultMaxBytes  = 64 << 20
	MaxMaxBytes      = 1 << 30
	DefaultTimeout   = 5 * time.Minute
	MaxTimeout       = time.Hour
	DefaultBatchRows = 1_000
	MaxBatchRows     = 100_000
	DefaultPreview   = 100
	MaxPreview       = 10_000
	// maxSchemas bounds how many dataset references one statement may resolve.
	maxSchemas = 64
)

// Service serves kamld.v1.QueryService over an Engine.
type Service struct {
	kamldv1.UnimplementedQueryServiceServer
	engine   query.Engine
	datasets *dataset.Engine
	catalog  *tabular.Catalog
	guard    *guard.Guard
	running  *registry
	log      *slog.Logger
	audit    *audit.Log // read by the kamld_audit table (audittable.go); nil when the audit log is off
}

// ServiceOption configures a Service.
type ServiceOption func(*Service)

// WithGuard replaces the default statement guard (e.g. one that also reserves an engine's catalogs).
func WithGuard(g *guard.Guard) ServiceOption { return func(s *Service) { s.guard = g } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) ServiceOption { return func(s *Service) { s.log = l } }

// NewService returns the QueryService: statements run on engine, names resolve through datasets and catalog
// (which also previews files, in process).
func NewService(engine query.Engine, datasets *dataset.Engine, catalog *tabular.Catalog, opts ...ServiceOption) *Service {
	s := &Service{engine: engine, datasets: datasets, catalog: catalog, guard: guard.New(), running: newRegistry(), log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	return s
}

var queryIDRE = regexp.MustCompile(resource.QueryIDPattern)

type limits struct {
	maxRows, maxBytes int64
	timeout           time.Duration
	batch             int
	batchSet          bool // batch_rows was given
	arrow             bool
	id                string
}

func checkRequest(req *kamldv1.ExecuteQueryRequest) (limits, error) {
	l := limits{maxRows: DefaultMaxRows, maxBytes: DefaultMaxBytes, timeout: DefaultTimeout, batch: DefaultBatchRows, id: req.GetQueryId()}
	var v []apierr.FieldViolation
	bad := func(field, format string, args ...any) {
		v = append(v, apierr.FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(req.GetSql()) == "" {
		bad("sql", "required: the statement to run")
	}
	switch n := req.GetMaxRows(); {
	case n < 0 || n > MaxMaxRows:
		bad("max_rows", "%d is outside 0..%d", n, MaxMaxRows)
	case n > 0:
		l.maxRows = n
	}
	switch n := req.GetMaxBytes(); {
	case n < 0 || n > MaxMaxBytes:
		bad("max_bytes", "%d is outside 0..%d", n, MaxMaxBytes)
	case n > 0:
		l.maxBytes = n
	}
	if d := req.GetTimeout(); d != nil {
		t := d.AsDuration()
		switch {
		case !d.IsValid() || t < 0 || t > MaxTimeout:
			bad("timeout", "must be between 0 and %s", MaxTimeout)
		case t > 0:
			l.timeout = t
		}
	}
	switch n := req.GetBatchRows(); {
	case n < 0 || n > MaxBatchRows:
		bad("batch_rows", "%d is outside 0..%d", n, MaxBatchRows)
	case n > 0:
		l.batch, l.batchSet = int(n), true
	}
	switch req.GetFormat() {
	case kamldv1.ResultFormat_RESULT_FORMAT_UNSPECIFIED, kamldv1.ResultFormat_RESULT_FORMAT_JSON:
	case kamldv1.ResultFormat_RESULT_FORMAT_ARROW:
		l.arrow = true
	default:
		bad("format", "%d is not a result format (RESULT_FORMAT_JSON or RESULT_FORMAT_ARROW)", req.GetFormat())
	}
	if l.id == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		l.id = hex.EncodeToString(b)
	} else if !queryIDRE.MatchString(l.id) {
		bad("query_id", "must be 1-63 letters, digits or '-'")
	}
	return l, apierr.InvalidArguments(v)
}

// ExecuteQuery implements kamld.v1.QueryService.
func (s *Service) ExecuteQuery(req *kamldv1.ExecuteQueryRequest, stream kamldv1.QueryService_ExecuteQueryServer) error {
	start := time.Now()
	l, err := checkRequest(req)
	if err != nil {
		return err
	}
	st, err := s.guard.Check(req.GetSql())
	if err != nil {
		return guard.AsAPIError(req.GetSql(), err)
	}
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	ctx, stop := context.WithTimeout(ctx, l.timeout)
	defer stop()
	if err := s.running.add(l.id, auth.Identity(ctx), cancel); err != nil {
		return err
	}
	defer s.running.remove(l.id)

	err = s.run(ctx, st, l, stream, start)
	return explain(ctx, l.id, err)
}

// explain reports why a query stopped when its context ended, not how the engine noticed.
func explain(ctx context.Context, id string, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	if cause := context.Cause(ctx); errors.Is(cause, errCancelled) {
		return fmt.Errorf("query %s was cancelled: %w", id, context.Canceled)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("query %s did not finish within its timeout: %w", id, context.DeadlineExceeded)
	}
	return fmt.Errorf("query %s: %w", id, ctx.Err())
}

func (s *Service) run(ctx context.Context, st *guard.Statement, l limits, stream kamldv1.QueryService_ExecuteQueryServer, start time.Time) error {
	rows, err := s.start(ctx, st, l)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols := rows.Columns()
	if err := stream.Send(&kamldv1.ExecuteQueryResponse{Part: &kamldv1.ExecuteQueryResponse_Schema{Schema: &kamldv1.ResultSchema{
		Query: "queries/" + l.id, Columns: toColumns(cols),
	}}}); err != nil {
		return err
	}
	out := &resultStream{stream: stream, stats: &kamldv1.QueryStats{Engine: s.engine.Name()}, start: start}
	if l.arrow {
		err = s.sendArrow(ctx, st, rows, l, out)
	} else {
		err = s.sendRows(ctx, st, rows, l, out)
	}
	if err != nil {
		return err
	}
	stats := out.stats
	stats.Elapsed = durationpb.New(time.Since(start))
	observe.SQLResult(stats.Rows, stats.Bytes)
	if stats.TimeToFirstBatch == nil {
		stats.TimeToFirstBatch = stats.Elapsed
	}
	return stream.Send(&kamldv1.ExecuteQueryResponse{Part: &kamldv1.ExecuteQueryResponse_Stats{Stats: stats}})
}

// start resolves a checked statement's datasets and starts it on the engine.
func (s *Service) start(ctx context.Context, st *guard.Statement, l limits) (query.Rows, error) {
	schemas, err := s.resolve(ctx, st)
	if err != nil {
		return nil, err
	}
	rows, err := s.engine.Query(ctx, query.Request{ID: l.id, Statement: st, Schemas: schemas, MaxRows: l.maxRows, Arrow: l.arrow})
	if err != nil {
		return nil, s.engineErr(st, err)
	}
	return rows, nil
}

// resultStream is the response stream of one query and its running totals.
type resultStream struct {
	stream kamldv1.QueryService_ExecuteQueryServer
	stats  *kamldv1.QueryStats
	start  time.Time
	sink   ArrowSink // where the Arrow stream goes when the transport takes it as it is; nil: in parts
}

// send sends a part carrying rows, noting when the first one went.
func (r *resultStream) send(msg *kamldv1.ExecuteQueryResponse) error {
	if r.stats.TimeToFirstBatch == nil {
		r.stats.TimeToFirstBatch = durationpb.New(time.Since(r.start))
	}
	return r.stream.Send(msg)
}

// sendRows sends the result as RowBatch messages of JSON-like values.
func (s *Service) sendRows(ctx context.Context, st *guard.Statement, rows query.Rows, l limits, out *resultStream) error {
	cols, stats := rows.Columns(), out.stats
	for !stats.Truncated {
		batch, err := rows.Next(ctx, l.batch)
		if err != nil {
			return s.engineErr(st, err)
		}
		if len(batch) == 0 {
			break
		}
		rb := &kamldv1.RowBatch{}
		for _, r := range batch {
			enc := query.EncodeRow(cols, r)
			size := int64(proto.Size(enc))
			if stats.Rows == l.maxRows || stats.Bytes+size > l.maxBytes {
				stats.Truncated = true
				break
			}
			rb.Rows = append(rb.Rows, enc)
			stats.Rows++
			stats.Bytes += size
		}
		if len(rb.Rows) > 0 {
			if err := out.send(&kamldv1.ExecuteQueryResponse{Part: &kamldv1.ExecuteQueryResponse_Batch{Batch: rb}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// engineErr maps an engine's SQLError to INVALID_ARGUMENT on "sql" with the position when known.
func (s *Service) engineErr(st *guard.Statement, err error) error {
	var se *query.SQLError
	if !errors.As(err, &se) {
		return err
	}
	if se.Pos >= 0 {
		return guard.InvalidSQL(st.SQL, se.Pos, se.Msg)
	}
	return apierr.InvalidArgument("sql", "%s", se.Msg)
}

// resolve turns the statement's dataset references into schemas. A reference written with a ref ("iris@v3")
// must exist (NOT_FOUND otherwise); a bare word that is not a dataset may be a CTE, an alias or a column, and
// CheckTables then makes sure that every table the statement reads is a dataset or one of its CTEs.
func (s *Service) resolve(ctx context.Context, st *guard.Statement) ([]query.Schema, error) {
	out, err := s.resolveRefs(ctx, st)
	if err != nil {
		return nil, err
	}
	if sc, err := s.auditSchema(ctx, st); err != nil {
		return nil, err
	} else if sc != nil {
		out = append(out, *sc)
	}
	return out, CheckTables(st, out)
}

func (s *Service) resolveRefs(ctx context.Context, st *guard.Statement) ([]query.Schema, error) {
	var out []query.Schema
	for _, d := range st.Datasets {
		if len(out) == maxSchemas {
			return nil, guard.InvalidSQL(st.SQL, d.Pos, fmt.Sprintf("a statement may use at most %d datasets", maxSchemas))
		}
		explicit := strings.Contains(d.Name, "@")
		state, err := s.catalog.At(ctx, d.Ref.Dataset, d.Ref.Ref.String())
		if err != nil {
			if errors.Is(err, apierr.ErrNotFound) && !explicit {
				continue
			}
			var ae *apierr.Error
			if errors.As(err, &ae) && ae.Code == codes.InvalidArgument { // a malformed ref: point at it in the statement
				return nil, guard.InvalidSQL(st.SQL, d.Pos, ae.Message)
			}
			return nil, err
		}
		sc := query.Schema{Name: d.Name, Dataset: d.Ref.Dataset, Snapshot: dataset.DraftRef, Tables: tabular.Tables(state.Files)}
		if state.Snapshot != nil {
			sc.Snapshot = state.Snapshot.ID
		}
		out = append(out, sc)
	}
	return out, nil
}

func toColumns(cols []query.Column) []*kamldv1.Column {
	out := make([]*kamldv1.Column, len(cols))
	for i, c := range cols {
		out[i] = &kamldv1.Column{Name: c.Name, Type: c.Type, Nullable: true}
	}
	return out
}

// CancelQuery implements kamld.v1.QueryService.
func (s *Service) CancelQuery(ctx context.Context, req *kamldv1.CancelQueryRequest) (*emptypb.Empty, error) {
	id, ok := strings.CutPrefix(req.GetName(), "queries/")
	if !ok || !queryIDRE.MatchString(id) {
		return nil, apierr.InvalidArgument("name", "%q is not a query name (queries/{query_id})", req.GetName())
	}
	if err := s.running.cancel(id, auth.Identity(ctx)); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// ListTables implements kamld.v1.QueryService.
func (s *Service) ListTables(ctx context.Context, req *kamldv1.ListTablesRequest) (*kamldv1.ListTablesResponse, error) {
	id, err := resource.ParseDatasetName("dataset", req.GetDataset())
	if err != nil {
		return nil, err
	}
	if _, err := resource.ParseRef(req.GetRef()); err != nil {
		return nil, apierr.InvalidArgument("ref", "%v", err)
	}
	state, err := s.catalog.At(ctx, id, req.GetRef())
	if err != nil {
		return nil, err
	}
	schema := id
	if req.GetRef() != "" {
		schema += "@" + req.GetRef()
	}
	return &kamldv1.ListTablesResponse{Schema: schema, Tables: datasetsvc.TablesToProto(tabular.Tables(state.Files))}, nil
}

// PreviewFile implements kamld.v1.QueryService. It always runs in process (DuckDB reads the head of the file),
// whatever the query engine, so that a preview never waits for a cluster.
func (s *Service) PreviewFile(ctx context.Context, req *kamldv1.PreviewFileRequest) (*kamldv1.PreviewFileResponse, error) {
	id, err := resource.ParseDatasetName("dataset", req.GetDataset())
	if err != nil {
		return nil, err
	}
	if err := resource.ValidatePath(req.GetPath()); err != nil {
		return nil, apierr.InvalidArgument("path", "%v", err)
	}
	if _, err := resource.ParseRef(req.GetRef()); err != nil {
		return nil, apierr.InvalidArgument("ref", "%v", err)
	}
	limit := int(req.GetLimit())
	switch {
	case limit < 0 || limit > MaxPreview:
		return nil, apierr.InvalidArgument("limit", "%d is outside 0..%d", limit, MaxPreview)
	case limit == 0:
		limit = DefaultPreview
	}
	fi, err := s.datasets.StatFile(ctx, id, req.GetRef(), req.GetPath())
	if err != nil {
		return nil, err
	}
	f, ok := tabular.DetectFormat(fi.Path, fi.MediaType)
	if !ok {
		return nil, fmt.Errorf("%q (%s) is not a tabular file (CSV, TSV, Parquet or JSON lines): %w", fi.Path, fi.MediaType, apierr.ErrFailedPrecondition)
	}
	h, err := s.catalog.Extractor().Head(ctx, f, fi.Digest, fi.Size, limit)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", fi.Path, err)
	}
	cols := make([]query.Column, len(h.Columns))
	for i, c := range h.Columns {
		cols[i] = query.Column{Name: c.Name, Type: c.Type}
	}
	out := &kamldv1.PreviewFileResponse{Columns: toColumns(cols), Truncated: h.Truncated, TotalRows: h.TotalRows, Rows: []*structpb.ListValue{}}
	for _, r := range h.Rows {
		out.Rows = append(out.Rows, query.EncodeRow(cols, r))
	}
	return out, nil
}
