package sqltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// arrowResult is a whole ExecuteQuery stream in RESULT_FORMAT_ARROW, decoded.
type arrowResult struct {
	schema   *kamldv1.ResultSchema
	messages int // Arrow pieces received
	arrow    *arrow.Schema
	batches  []int64 // rows per record batch
	rows     [][]any // as the JSON rows would be, for comparison
	stats    *kamldv1.QueryStats
}

// execArrow runs req with Arrow results and decodes the concatenated pieces as one IPC stream.
func execArrow(ctx context.Context, client kamldv1.QueryServiceClient, req *kamldv1.ExecuteQueryRequest) (*arrowResult, error) {
	req.Format = kamldv1.ResultFormat_RESULT_FORMAT_ARROW
	stream, err := client.ExecuteQuery(ctx, req)
	if err != nil {
		return nil, err
	}
	r := &arrowResult{}
	var ipcBytes bytes.Buffer
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return r, err
		}
		switch p := msg.GetPart().(type) {
		case *kamldv1.ExecuteQueryResponse_Schema:
			r.schema = p.Schema
		case *kamldv1.ExecuteQueryResponse_Arrow:
			r.messages++
			ipcBytes.Write(p.Arrow)
		case *kamldv1.ExecuteQueryResponse_Batch:
			return r, fmt.Errorf("a RowBatch in an Arrow result")
		case *kamldv1.ExecuteQueryResponse_Stats:
			r.stats = p.Stats
		}
	}
	return r, r.decode(&ipcBytes)
}

func (r *arrowResult) decode(b *bytes.Buffer) error {
	rd, err := ipc.NewReader(b)
	if err != nil {
		return fmt.Errorf("not an Arrow IPC stream: %w", err)
	}
	defer rd.Release()
	r.arrow = rd.Schema()
	for rd.Next() {
		r.addRows(rd.RecordBatch())
	}
	if err := rd.Err(); err != nil {
		return err
	}
	if b.Len() != 0 {
		return fmt.Errorf("%d bytes after the end-of-stream marker", b.Len())
	}
	return nil
}

// addRows appends a batch's rows, as the JSON rows would be.
func (r *arrowResult) addRows(rec arrow.RecordBatch) {
	r.batches = append(r.batches, rec.NumRows())
	for i := range int(rec.NumRows()) {
		row := make([]any, rec.NumCols())
		for c := range row {
			typ, _ := r.arrow.Field(c).Metadata.GetValue(query.TypeKey)
			row[c] = query.EncodeValue(typ, goValue(rec.Column(c), i)).AsInterface()
		}
		r.rows = append(r.rows, row)
	}
}

// goValue reads one Arrow value as the engine-neutral Go value (tabular.NormalizeValue) it stands for.
func goValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch x := a.(type) {
	case *array.Int64:
		return x.Value(i)
	case *array.Float64:
		return x.Value(i)
	case *array.Boolean:
		return x.Value(i)
	case *array.String:
		return x.Value(i)
	case *array.Binary:
		return x.Value(i)
	case *array.Decimal128:
		return tabular.Decimal(x.Value(i).ToString(x.DataType().(*arrow.Decimal128Type).Scale))
	case *array.Date32:
		return x.Value(i).ToTime()
	case *array.Timestamp:
		return x.Value(i).ToTime(arrow.Microsecond)
	case *array.Time64:
		return x.Value(i).ToTime(arrow.Microsecond)
	case *array.List:
		start, end := x.ValueOffsets(i)
		out := []any{}
		for j := start; j < end; j++ {
			out = append(out, goValue(x.ListValues(), int(j)))
		}
		return out
	}
	return a.ValueStr(i)
}

// arrowQuery runs sqlText both ways and returns the Arrow result, failing unless it answers the JSON one's
// columns and rows.
func (e *env) arrowQuery(t *testing.T, sqlText string) *arrowResult {
	t.Helper()
	want := e.query(t, sqlText)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := execArrow(ctx, e.client, &kamldv1.ExecuteQueryRequest{Sql: sqlText})
	require.NoError(t, err, sqlText)
	require.Equal(t, want.schema.GetColumns(), got.schema.GetColumns(), sqlText)
	require.Equal(t, want.rows, nilIfEmpty(got.rows), sqlText)
	require.Equal(t, want.stats.GetRows(), got.stats.GetRows(), sqlText)
	require.Equal(t, len(got.schema.GetColumns()), got.arrow.NumFields(), sqlText)
	return got
}

func nilIfEmpty(rows [][]any) [][]any {
	if len(rows) == 0 {
		return nil
	}
	return rows
}

// testArrow holds Arrow results to the JSON ones: same columns and values on the suite's queries, the same
// Arrow types on every engine, and limits, errors and cancellation as for rows.
func testArrow(t *testing.T, e *env) {
	for _, q := range []string{
		`SELECT species, count(*) AS n, round(avg(petal_length_cm), 3) AS avg_pl FROM "iris@v1".iris GROUP BY species ORDER BY species`,
		`SELECT * FROM "iris@v1".iris ORDER BY sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm, species`,
		`SELECT count(*), sum(id), count(tag) FROM "mixed@v1".events`,
		`SELECT species, island, count(*), round(avg(body_mass_g), 3) FROM "penguins@v1".penguins GROUP BY 1, 2 ORDER BY 1, 2`,
		`SELECT * FROM "weather@v1".seattle ORDER BY 1`,
		`SELECT * FROM "iris@v1".iris WHERE species = 'none'`,
		`SELECT 1 AS one, 2.5 AS half, 'x' AS s, true AS b, NULL AS n`,
		`DESCRIBE "iris@v1".iris`,
	} {
		e.arrowQuery(t, q)
	}
	r := e.arrowQuery(t, `SELECT id, big, price, day, ts, ok, note FROM "mixed@v1".types ORDER BY id`)
	types := map[string]string{}
	for _, f := range r.arrow.Fields() {
		types[f.Name] = f.Type.String()
	}
	require.Equal(t, map[string]string{"id": "int64", "big": "int64", "price": "float64", "day": "date32",
		"ts": "timestamp[us]", "ok": "bool", "note": "utf8"}, types, "the same Arrow types on every engine")
	sqlType, _ := r.arrow.Field(0).Metadata.GetValue(query.TypeKey)
	require.Equal(t, "BIGINT", sqlType)
	testArrowLimits(t, e)
	testArrowErrors(t, e)
}

func testArrowLimits(t *testing.T, e *env) {
	ctx := context.Background()
	all := `SELECT * FROM "iris@v1".iris`
	r, err := execArrow(ctx, e.client, &kamldv1.ExecuteQueryRequest{Sql: all, MaxRows: 10})
	require.NoError(t, err)
	require.Len(t, r.rows, 10)
	require.True(t, r.stats.GetTruncated())

	r, err = execArrow(ctx, e.client, &kamldv1.ExecuteQueryRequest{Sql: all, MaxRows: 150})
	require.NoError(t, err)
	require.Len(t, r.rows, 150)
	require.False(t, r.stats.GetTruncated(), "exactly max_rows rows is not truncated")

	r, err = execArrow(ctx, e.client, &kamldv1.ExecuteQueryRequest{Sql: all, BatchRows: 40})
	require.NoError(t, err)
	require.Equal(t, []int64{40, 40, 40, 30}, r.batches, "150 rows in batches of 40")
	require.Equal(t, 5, r.messages, "one message per batch and one for the end of the stream")

	// Without batch_rows, the engine's batches (DuckDB's 2,048 rows, or rows converted 2,048 at a time)
	// gather into messages of about 1 MiB.
	r, err = execArrow(ctx, e.client, &kamldv1.ExecuteQueryRequest{Sql: `SELECT * FROM "iris@v1".iris AS a CROSS JOIN "iris@v1".iris AS b`, MaxRows: 100_000})
	require.NoError(t, err)
	require.Len(t, r.rows, 150*150)
	require.Greater(t, len(r.batches), 2)
	require.Less(t, r.messages, len(r.batches), "batches gathered into fewer messages")

	r, err = execArrow(ctx, e.client, &kamldv1.ExecuteQueryRequest{Sql: all, MaxBytes: 1000})
	require.NoError(t, err)
	require.True(t, r.stats.GetTruncated())
	require.LessOrEqual(t, r.stats.GetBytes(), int64(1000))
	require.NotEmpty(t, r.rows)
	require.Less(t, len(r.rows), 150)

	_, err = e.exec(ctx, &kamldv1.ExecuteQueryRequest{Sql: "SELECT 1", Format: 7})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

func testArrowErrors(t *testing.T, e *env) {
	ctx := context.Background()
	_, err := execArrow(ctx, e.client, &kamldv1.ExecuteQueryRequest{Sql: `DROP TABLE x`})
	requireInvalid(t, err, "line 1")
	_, err = execArrow(ctx, e.client, &kamldv1.ExecuteQueryRequest{Sql: "SELECT *\nFORM \"iris@v1\".iris"})
	requireInvalid(t, err, "line 2")
	_, err = execArrow(ctx, e.client, &kamldv1.ExecuteQueryRequest{Sql: `SELECT * FROM "iris@v9".iris`})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = execArrow(ctx, e.client, &kamldv1.ExecuteQueryRequest{Sql: slowSQL, Timeout: durationpb.New(300 * time.Millisecond)})
	require.Equal(t, codes.DeadlineExceeded, status.Code(err), "%v", err)
	requireStopped(t, e, "")
}
