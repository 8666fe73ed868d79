package query

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Conformer turns an engine's own Arrow batches into the result's canonical schema (ArrowType of each
// column's dialect type), so that every engine answers with the same Arrow types. Columns already of their
// canonical type — nearly all, as DuckDB's views cast to the extracted types — pass through without a copy;
// the others are converted column by column.
type Conformer struct {
	schema *arrow.Schema
	cols   []Column
	convs  []func(arrow.Array) arrow.Array // nil: pass through
}

// NewConformer plans the conversion of batches of an engine's schema src.
func NewConformer(src *arrow.Schema) *Conformer {
	c := &Conformer{convs: make([]func(arrow.Array) arrow.Array, src.NumFields())}
	for i, f := range src.Fields() {
		dialect, conv := plan(f.Type)
		c.cols = append(c.cols, Column{Name: f.Name, Type: dialect})
		c.convs[i] = conv
	}
	c.schema = ArrowSchema(c.cols)
	return c
}

// Columns are the result's columns in the dialect.
func (c *Conformer) Columns() []Column { return c.cols }

// Schema is the canonical Arrow schema.
func (c *Conformer) Schema() *arrow.Schema { return c.schema }

// Conform returns rec in the canonical schema; the caller releases the result (rec stays the caller's).
func (c *Conformer) Conform(rec arrow.RecordBatch) arrow.RecordBatch {
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		if conv := c.convs[i]; conv != nil {
			cols[i] = conv(rec.Column(i))
			continue
		}
		cols[i] = rec.Column(i)
		cols[i].Retain()
	}
	out := array.NewRecordBatch(c.schema, cols, rec.NumRows())
	for _, a := range cols {
		a.Release()
	}
	return out
}

// plan picks a column's dialect type and the conversion (nil when none) from its Arrow type.
func plan(t arrow.DataType) (string, func(arrow.Array) arrow.Array) {
	dialect := DialectOf(t)
	want := ArrowType(dialect)
	if arrow.TypeEqual(t, want) {
		return dialect, nil
	}
	if conv := converter(t, want); conv != nil {
		return dialect, conv
	}
	return "VARCHAR", asText
}

// converter returns the conversion of arrays of type from into type to, or nil when there is none.
func converter(from, to arrow.DataType) func(arrow.Array) arrow.Array {
	switch from.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return func(a arrow.Array) arrow.Array { return widenInts(a) }
	case arrow.FLOAT32:
		return func(a arrow.Array) arrow.Array {
			return build(a, to, func(b array.Builder, i int) {
				b.(*array.Float64Builder).Append(float64(a.(*array.Float32).Value(i)))
			})
		}
	case arrow.UINT64:
		return func(a arrow.Array) arrow.Array {
			return build(a, to, func(b array.Builder, i int) {
				b.(*array.Decimal128Builder).Append(decimal128.FromU64(a.(*array.Uint64).Value(i)))
			})
		}
	case arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
		return func(a arrow.Array) arrow.Array {
			return build(a, to, func(b array.Builder, i int) { appendBytes(b, bytesAt(a, i)) })
		}
	case arrow.TIMESTAMP:
		return timestampConverter(from.(*arrow.TimestampType), to)
	case arrow.DATE64:
		return func(a arrow.Array) arrow.Array {
			return build(a, to, func(b array.Builder, i int) {
				b.(*array.Date32Builder).Append(arrow.Date32FromTime(a.(*array.Date64).Value(i).ToTime()))
			})
		}
	case arrow.TIME32, arrow.TIME64:
		return func(a arrow.Array) arrow.Array {
			return build(a, to, func(b array.Builder, i int) { b.(*array.Time64Builder).Append(timeMicros(a, i)) })
		}
	}
	return nil
}

func timestampConverter(from *arrow.TimestampType, to arrow.DataType) func(arrow.Array) arrow.Array {
	if from.Unit == arrow.Microsecond {
		// Only the zone differs: the values are instants either way, so the buffers are shared.
		return func(a arrow.Array) arrow.Array {
			d := a.Data()
			nd := array.NewData(to, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
			defer nd.Release()
			return array.MakeFromData(nd)
		}
	}
	return func(a arrow.Array) arrow.Array {
		ts := a.(*array.Timestamp)
		return build(a, to, func(b array.Builder, i int) {
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(ts.Value(i).ToTime(from.Unit).UnixMicro()))
		})
	}
}

// zeroDay is the day Arrow's times are counted from.
var zeroDay = time.Unix(0, 0).UTC()

func timeMicros(a arrow.Array, i int) arrow.Time64 {
	switch x := a.(type) {
	case *array.Time32:
		return arrow.Time64(x.Value(i).ToTime(x.DataType().(*arrow.Time32Type).Unit).Sub(zeroDay).Microseconds())
	case *array.Time64:
		return arrow.Time64(x.Value(i).ToTime(x.DataType().(*arrow.Time64Type).Unit).Sub(zeroDay).Microseconds())
	}
	return 0
}

func bytesAt(a arrow.Array, i int) []byte {
	switch x := a.(type) {
	case *array.LargeString:
		return []byte(x.Value(i))
	case *array.StringView:
		return []byte(x.Value(i))
	case *array.LargeBinary:
		return x.Value(i)
	case *array.BinaryView:
		return x.Value(i)
	}
	return nil
}

func appendBytes(b array.Builder, v []byte) {
	switch x := b.(type) {
	case *array.StringBuilder:
		x.BinaryBuilder.Append(v)
	case *array.BinaryBuilder:
		x.Append(v)
	}
}

// asText converts any column to its values' text (JSON for nested values), for types the dialect lacks.
func asText(a arrow.Array) arrow.Array {
	return build(a, arrow.BinaryTypes.String, func(b array.Builder, i int) { b.(*array.StringBuilder).Append(a.ValueStr(i)) })
}

// build makes an array of type to with a's nulls, appending a's other values with add.
func build(a arrow.Array, to arrow.DataType, add func(b array.Builder, i int)) arrow.Array {
	b := array.NewBuilder(memory.DefaultAllocator, to)
	defer b.Release()
	b.Reserve(a.Len())
	for i := range a.Len() {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		add(b, i)
	}
	return b.NewArray()
}

// widenInts turns an array of narrower integers into int64, keeping its validity bitmap.
func widenInts(a arrow.Array) arrow.Array {
	d := a.Data()
	vals := make([]int64, d.Offset()+d.Len())
	for i := range a.Len() {
		vals[d.Offset()+i] = intAt(a, i)
	}
	buf := memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(vals))
	defer buf.Release()
	nd := array.NewData(arrow.PrimitiveTypes.Int64, d.Len(), []*memory.Buffer{d.Buffers()[0], buf}, nil, d.NullN(), d.Offset())
	defer nd.Release()
	return array.MakeFromData(nd)
}

func intAt(a arrow.Array, i int) int64 {
	switch x := a.(type) {
	case *array.Int8:
		return int64(x.Value(i))
	case *array.Int16:
		return int64(x.Value(i))
	case *array.Int32:
		return int64(x.Value(i))
	case *array.Uint8:
		return int64(x.Value(i))
	case *array.Uint16:
		return int64(x.Value(i))
	case *array.Uint32:
		return int64(x.Value(i))
	}
	return 0
}
