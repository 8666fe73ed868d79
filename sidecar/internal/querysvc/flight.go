package querysvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/version"
)

// ticketTTL is how long a statement started by GetFlightInfo waits for the DoGet that reads it.
const ticketTTL = time.Minute

// FlightSQL serves Arrow Flight SQL statements over the QueryService's engine, on the sidecar's gRPC port:
// the same bearer token (the gRPC interceptors), names, statement guard and limits as ExecuteQuery, with
// the limits at their maxima (10,000,000 rows, 1 GiB) and the default timeout. A result longer than that
// ends with RESOURCE_EXHAUSTED rather than short, since Flight SQL has no way to say "truncated".
// GetFlightInfo starts the statement, so that its answer carries the result's schema; the one endpoint's
// ticket names the running statement, which DoGet then reads, once, as the identity that started it.
// Prepared statements, catalogs and metadata calls are not served (UNIMPLEMENTED); docs/arrow.md.
type FlightSQL struct {
	flightsql.BaseServer
	svc     *Service
	mu      sync.Mutex
	started map[string]*flightQuery
}

// flightQuery is a statement started by GetFlightInfo, waiting for its DoGet.
type flightQuery struct {
	owner string
	st    *guard.Statement
	l     limits
	rows  query.Rows
	ctx   context.Context
	// cancel stops the engine's work; end (once the rows are no longer read) also closes them and forgets it.
	cancel func()
	end    func()
}

// NewFlightSQL returns the Flight SQL server of svc (Service.FlightSQL wraps it for gRPC).
func NewFlightSQL(svc *Service) (*FlightSQL, error) {
	f := &FlightSQL{svc: svc, started: map[string]*flightQuery{}}
	f.Alloc = memory.DefaultAllocator
	for id, v := range map[flightsql.SqlInfo]any{
		flightsql.SqlInfoFlightSqlServerName:         "kamld",
		flightsql.SqlInfoFlightSqlServerVersion:      version.Get().Version,
		flightsql.SqlInfoFlightSqlServerArrowVersion: "18",
		flightsql.SqlInfoFlightSqlServerReadOnly:     true,
		flightsql.SqlInfoFlightSqlServerTransaction:  int32(flightsql.SqlTransactionNone),
	} {
		if err := f.RegisterSqlInfo(id, v); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// FlightSQL is the Arrow Flight SQL service over this QueryService, to register on the gRPC server.
func (s *Service) FlightSQL() (flight.FlightServer, error) {
	f, err := NewFlightSQL(s)
	if err != nil {
		return nil, err
	}
	return flightsql.NewFlightServer(f), nil
}

func flightLimits() limits {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return limits{maxRows: MaxMaxRows, maxBytes: MaxMaxBytes, timeout: DefaultTimeout, arrow: true, id: "flight-" + hex.EncodeToString(b)}
}

// GetFlightInfoStatement implements flightsql.Server: it checks and starts the statement.
func (f *FlightSQL) GetFlightInfoStatement(ctx context.Context, cmd flightsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	sql := cmd.GetQuery()
	st, err := f.svc.guard.Check(sql)
	if err != nil {
		return nil, guard.AsAPIError(sql, err)
	}
	l := flightLimits()
	owner := auth.Identity(ctx)
	// The statement outlives this call: it runs until DoGet has read it, or the ticket expires.
	qctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	qctx, stop := context.WithTimeout(qctx, l.timeout)
	if err := f.svc.running.add(l.id, owner, cancel); err != nil {
		stop()
		return nil, err
	}
	rows, err := f.svc.start(qctx, st, l)
	if err != nil {
		err = explain(qctx, l.id, err)
		f.svc.running.remove(l.id)
		stop()
		return nil, err
	}
	q := &flightQuery{owner: owner, st: st, l: l, rows: rows, ctx: qctx, cancel: func() { cancel(errCancelled) }}
	var once sync.Once
	q.end = func() {
		once.Do(func() {
			_ = rows.Close()
			stop()
			f.svc.running.remove(l.id)
		})
	}
	f.mu.Lock()
	f.started[l.id] = q
	f.mu.Unlock()
	time.AfterFunc(ticketTTL, func() {
		if f.take(l.id) != nil {
			q.end()
		}
	})
	ticket, err := flightsql.CreateStatementQueryTicket([]byte(l.id))
	if err != nil {
		q.end()
		return nil, err
	}
	schema := query.ArrowSchema(rows.Columns())
	return &flight.FlightInfo{
		Schema:           flight.SerializeSchema(schema, f.Alloc),
		FlightDescriptor: desc,
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: ticket}}},
		TotalRecords:     -1,
		TotalBytes:       -1,
	}, nil
}

func (f *FlightSQL) take(id string) *flightQuery {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.started[id]
	delete(f.started, id)
	return q
}

// DoGetStatement implements flightsql.Server: it streams the statement GetFlightInfo started.
func (f *FlightSQL) DoGetStatement(ctx context.Context, ticket flightsql.StatementQueryTicket) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	id := string(ticket.GetStatementHandle())
	q := f.take(id)
	if q != nil && q.owner != auth.Identity(ctx) {
		f.mu.Lock()
		f.started[id] = q // someone else's: it stays theirs
		f.mu.Unlock()
		q = nil
	}
	if q == nil {
		return nil, nil, fmt.Errorf("no statement %q of yours is waiting to be read (tickets are read once, within %s): %w", id, ticketTTL, apierr.ErrNotFound)
	}
	// The reader leaving stops the engine; the rows are closed by the goroutine reading them, never under it.
	stopWatch := context.AfterFunc(ctx, q.cancel)
	schema := query.ArrowSchema(q.rows.Columns())
	ch := make(chan flight.StreamChunk, 2)
	go func() {
		defer close(ch)
		defer q.end()
		defer stopWatch()
		if err := f.stream(q, schema, ch); err != nil {
			ch <- flight.StreamChunk{Err: explain(q.ctx, q.l.id, err)}
		}
	}()
	return schema, ch, nil
}

// stream sends the statement's batches within its limits; going past them is RESOURCE_EXHAUSTED.
func (f *FlightSQL) stream(q *flightQuery, schema *arrow.Schema, ch chan<- flight.StreamChunk) error {
	next := recordsOf(q.rows, schema, q.l)
	stats := &kamldv1.QueryStats{}
	for !stats.Truncated {
		rec, err := next(q.ctx)
		if err != nil {
			return f.svc.engineErr(q.st, err)
		}
		if rec == nil {
			return nil
		}
		err = sliceWithin(rec, q.l, stats, func(slice arrow.RecordBatch) error {
			ch <- flight.StreamChunk{Data: slice}
			return nil
		})
		rec.Release()
		if err != nil {
			return err
		}
	}
	return apierr.New(codes.ResourceExhausted, kamldv1.ErrorReason_ERROR_REASON_RESULT_TOO_LARGE,
		"the result has more than %d rows or %d bytes, the most Flight SQL answers: narrow the query or add a LIMIT", q.l.maxRows, q.l.maxBytes)
}
