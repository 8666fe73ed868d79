package query

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// An engine's own Arrow types are conformed to the canonical ones of their dialect types, values kept.
func TestConformerWidensAndConverts(t *testing.T) {
	mem := memory.DefaultAllocator
	fields := []arrow.Field{
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "ns", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true},
		{Name: "tz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "Europe/Paris"}, Nullable: true},
		{Name: "st", Type: arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64}), Nullable: true},
		{Name: "ok", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	b.Field(0).(*array.Int32Builder).AppendValues([]int32{-7, 0}, []bool{true, false})
	b.Field(1).(*array.Uint64Builder).AppendValues([]uint64{1 << 63, 2}, nil)
	b.Field(2).(*array.Float32Builder).AppendValues([]float32{1.5, 2}, nil)
	b.Field(3).(*array.LargeStringBuilder).AppendValues([]string{"a", "b"}, nil)
	when := time.Date(2024, 2, 29, 23, 59, 59, 123456000, time.UTC)
	b.Field(4).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{arrow.Timestamp(when.UnixNano()), 0}, []bool{true, false})
	b.Field(5).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{arrow.Timestamp(when.UnixMicro()), 0}, nil)
	sb := b.Field(6).(*array.StructBuilder)
	sb.Append(true)
	sb.FieldBuilder(0).(*array.Int64Builder).Append(1)
	sb.AppendNull()
	b.Field(7).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()

	c := NewConformer(rec.Schema())
	require.Equal(t, []Column{{"i32", "BIGINT"}, {"u64", "DECIMAL(38,0)"}, {"f32", "DOUBLE"}, {"ls", "VARCHAR"},
		{"ns", "TIMESTAMP"}, {"tz", "TIMESTAMP WITH TIME ZONE"}, {"st", "VARCHAR"}, {"ok", "BIGINT"}}, c.Columns())
	out := c.Conform(rec)
	defer out.Release()
	require.True(t, out.Schema().Equal(ArrowSchema(c.Columns())))
	require.Equal(t, int64(-7), out.Column(0).(*array.Int64).Value(0))
	require.True(t, out.Column(0).IsNull(1))
	require.Equal(t, "9223372036854775808", out.Column(1).(*array.Decimal128).Value(0).ToString(0))
	require.InDelta(t, 1.5, out.Column(2).(*array.Float64).Value(0), 0)
	require.Equal(t, "b", out.Column(3).(*array.String).Value(1))
	require.Equal(t, when, out.Column(4).(*array.Timestamp).Value(0).ToTime(arrow.Microsecond))
	require.True(t, out.Column(4).IsNull(1))
	require.Equal(t, when, out.Column(5).(*array.Timestamp).Value(0).ToTime(arrow.Microsecond))
	require.JSONEq(t, `{"a":1}`, out.Column(6).(*array.String).Value(0))
	require.True(t, out.Column(6).IsNull(1))
	require.Same(t, rec.Column(7).Data(), out.Column(7).Data(), "a canonical column passes through uncopied")
}

// Rows of engine-neutral values become a batch of the canonical schema; a value of the wrong kind is an error.
func TestRowsToRecord(t *testing.T) {
	cols := []Column{{"n", "BIGINT"}, {"d", "DECIMAL(10,2)"}, {"day", "DATE"}, {"tags", "ARRAY(VARCHAR)"}, {"b", "BLOB"}}
	schema := ArrowSchema(cols)
	day := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	rec, err := RowsToRecord(schema, [][]any{
		{int64(1), tabular.Decimal("12.50"), day, []any{"x", nil}, []byte{1, 2}},
		{nil, nil, nil, nil, nil},
	})
	require.NoError(t, err)
	defer rec.Release()
	require.EqualValues(t, 2, rec.NumRows())
	require.Equal(t, "12.50", rec.Column(1).(*array.Decimal128).Value(0).ToString(2))
	require.Equal(t, day, rec.Column(2).(*array.Date32).Value(0).ToTime())
	require.Equal(t, `["x",null]`, rec.Column(3).ValueStr(0))
	for c := range cols {
		require.True(t, rec.Column(c).IsNull(1))
	}
	_, err = RowsToRecord(schema, [][]any{{"not a number", nil, nil, nil, nil}})
	require.ErrorContains(t, err, `column "n"`)
}
