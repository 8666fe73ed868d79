// Package sqltest is the conformance suite of query.Engine: every engine runs the same statements over the same
// datasets and must give the same answers, errors and cancellation behaviour. It drives the engine through
// the real QueryService over an in-memory gRPC connection, so what it checks is what clients see.
//
// Use it from an engine's tests:
//
//	func TestConformance(t *testing.T) {
//		sqltest.Run(t, func(t *testing.T) sqltest.Harness { return sqltest.Harness{Store: store, Engine: engine} })
//	}
package sqltest

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	flightgen "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	_ "github.com/duckdb/duckdb-go/v2" // a plain DuckDB writes the Parquet parts the suite needs
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	"github.com/kamld/kamld/datasets"
	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/querysvc"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// Harness is an engine under test and the store its datasets live in.
type Harness struct {
	// Store is where the suite writes its datasets; the engine must read them from there.
	Store blob.Store
	// Engine is the engine under test.
	Engine query.Engine
	// Guard, when set, replaces the default statement guard (an engine may reserve its own catalogs).
	Guard *guard.Guard
}

// env is one prepared suite run: the datasets written, a QueryService on the engine behind a real gRPC
// connection.
type env struct {
	h       Harness
	dial    func(context.Context, string) (net.Conn, error)
	eng     *dataset.Engine
	client  kamldv1.QueryServiceClient
	service *querysvc.Service
}

const identityHeader = "x-sqltest-user"

// Served is a QueryService on an engine behind a real (in-memory) gRPC connection, for benchmarks and other
// engines' own tests.
type Served struct {
	Client kamldv1.QueryServiceClient
	// Dial reaches the server (QueryService and Flight SQL), for other clients.
	Dial     func(context.Context, string) (net.Conn, error)
	Datasets *dataset.Engine
	Service  *querysvc.Service
}

// Serve starts a QueryService on h's engine and store; it stops when tb ends.
func Serve(tb testing.TB, h Harness) *Served {
	tb.Helper()
	ctx := context.Background()
	eng := dataset.New(h.Store)
	catalog, duck, err := tabular.OpenCatalog(ctx, eng, filepath.Join(tb.TempDir(), "tabular"), config.DuckDB{MemoryLimit: "512MB"})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = duck.Close() })
	var opts []querysvc.ServiceOption
	if h.Guard != nil {
		opts = append(opts, querysvc.WithGuard(h.Guard))
	}
	svc := querysvc.NewService(h.Engine, eng, catalog, opts...)

	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer(grpc.ChainUnaryInterceptor(unaryStatus), grpc.ChainStreamInterceptor(streamStatus))
	kamldv1.RegisterQueryServiceServer(gs, svc)
	fs, err := svc.FlightSQL()
	require.NoError(tb, err)
	flightgen.RegisterFlightServiceServer(gs, fs)
	go func() { _ = gs.Serve(lis) }()
	dial := func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	conn, err := grpc.NewClient("passthrough:///bufnet", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(dial))
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = conn.Close(); gs.Stop() })
	return &Served{Client: kamldv1.NewQueryServiceClient(conn), Dial: dial, Datasets: eng, Service: svc}
}

func setup(t *testing.T, h Harness) *env {
	t.Helper()
	s := Serve(t, h)
	e := &env{h: h, dial: s.Dial, eng: s.Datasets, client: s.Client, service: s.Service}
	e.writeDatasets(t)
	return e
}

// The suite's interceptors stand in for the sidecar's auth and error-mapping ones: the identity comes from a
// header, and errors become statuses through apierr as in the server.
func unaryStatus(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	resp, err := next(withIdentity(ctx), req)
	if err != nil {
		return nil, apierr.Status(err).Err()
	}
	return resp, nil
}

func streamStatus(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, next grpc.StreamHandler) error {
	if err := next(srv, &identityStream{ServerStream: ss, ctx: withIdentity(ss.Context())}); err != nil {
		return apierr.Status(err).Err()
	}
	return nil
}

type identityStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *identityStream) Context() context.Context { return s.ctx }

func withIdentity(ctx context.Context) context.Context {
	md, _ := metadata.FromIncomingContext(ctx)
	who := "alice"
	if v := md.Get(identityHeader); len(v) > 0 {
		who = v[0]
	}
	return auth.WithIdentity(ctx, who)
}

func as(ctx context.Context, who string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, identityHeader, who)
}

// writeDatasets writes the suite's data:
//
//	iris      v1: iris.csv (the 150 flowers); v2 adds extra.csv; the draft adds draft.csv
//	penguins  v1: penguins.parquet
//	weather   v1: seattle.jsonl
//	mixed     v1: types.csv (big integers, decimals, dates, timestamps, booleans, nulls), events/part-0.parquet
//	          and events/part-1.parquet (one table "events" of 3 + 2 rows)
func (e *env) writeDatasets(t *testing.T) {
	t.Helper()
	e.create(t, "iris")
	e.write(t, "iris", "iris.csv", sample(t, "iris/iris.csv"))
	e.snapshot(t, "iris")
	e.write(t, "iris", "extra.csv", "k,v\n1,a\n2,b\n")
	e.snapshot(t, "iris")
	e.write(t, "iris", "draft.csv", "k\n1\n2\n3\n")

	e.create(t, "penguins")
	e.write(t, "penguins", "penguins.parquet", sample(t, "penguins/penguins.parquet"))
	e.snapshot(t, "penguins")

	e.create(t, "weather")
	e.write(t, "weather", "seattle.jsonl", sample(t, "seattle-weather/seattle-weather.jsonl"))
	e.snapshot(t, "weather")

	e.create(t, "mixed")
	e.write(t, "mixed", "types.csv", typesCSV)
	e.write(t, "mixed", "events/part-0.parquet", parquetOf(t, "SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) t(id, tag)"))
	e.write(t, "mixed", "events/part-1.parquet", parquetOf(t, "SELECT * FROM (VALUES (4, 'd'), (5, NULL)) t(id, tag)"))
	e.snapshot(t, "mixed")
}

const typesCSV = `id,big,price,day,ts,ok,note
1,9007199254740993,12.50,2024-01-02,2024-01-02 03:04:05,true,first
2,-5,0.25,2024-02-29,2024-02-29 23:59:59,false,
3,,,,,,"quoted, with comma"
`

func (e *env) create(t *testing.T, id string) {
	t.Helper()
	_, err := e.eng.CreateDataset(context.Background(), id, dataset.Metadata{})
	require.NoError(t, err)
}

func (e *env) write(t *testing.T, id, p, content string) {
	t.Helper()
	_, err := e.eng.WriteFile(context.Background(), id, p, strings.NewReader(content), dataset.WriteOptions{})
	require.NoError(t, err)
}

func (e *env) snapshot(t *testing.T, id string) {
	t.Helper()
	_, err := e.eng.CreateSnapshot(context.Background(), id, dataset.SnapshotOptions{Message: "sqltest"})
	require.NoError(t, err)
}

func sample(t *testing.T, p string) string {
	t.Helper()
	b, err := fs.ReadFile(datasets.FS, p)
	require.NoError(t, err)
	return string(b)
}

// parquetOf writes the result of a query as Parquet with a plain (not locked-down) DuckDB.
func parquetOf(t *testing.T, q string) string {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer db.Close()
	p := filepath.Join(t.TempDir(), "part.parquet")
	_, err = db.Exec("COPY (" + q + ") TO " + tabular.Literal(p) + " (FORMAT parquet)")
	require.NoError(t, err)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

// result is a whole ExecuteQuery stream.
type result struct {
	schema  *kamldv1.ResultSchema
	batches int
	rows    [][]any
	stats   *kamldv1.QueryStats
}

func (e *env) exec(ctx context.Context, req *kamldv1.ExecuteQueryRequest) (*result, error) {
	stream, err := e.client.ExecuteQuery(ctx, req)
	if err != nil {
		return nil, err
	}
	r := &result{}
	for {
		msg, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return r, nil
			}
			return r, err
		}
		switch p := msg.GetPart().(type) {
		case *kamldv1.ExecuteQueryResponse_Schema:
			r.schema = p.Schema
		case *kamldv1.ExecuteQueryResponse_Batch:
			r.batches++
			for _, row := range p.Batch.GetRows() {
				r.rows = append(r.rows, row.AsSlice())
			}
		case *kamldv1.ExecuteQueryResponse_Stats:
			r.stats = p.Stats
		}
	}
}

func (e *env) query(t *testing.T, sqlText string) *result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := e.exec(ctx, &kamldv1.ExecuteQueryRequest{Sql: sqlText})
	require.NoError(t, err, sqlText)
	require.NotNil(t, r.schema, sqlText)
	require.NotNil(t, r.stats, sqlText)
	return r
}
