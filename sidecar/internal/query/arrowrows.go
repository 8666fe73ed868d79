package query

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// RowsToRecord builds one batch of schema (ArrowSchema of the result's columns) from rows of engine-neutral
// values (tabular.NormalizeValue): the conversion, once, of engines that answer in rows (Trino). The caller
// releases the batch.
func RowsToRecord(schema *arrow.Schema, rows [][]any) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Reserve(len(rows))
	for _, row := range rows {
		for i, f := range b.Fields() {
			var v any
			if i < len(row) {
				v = row[i]
			}
			if err := appendValue(f, v); err != nil {
				return nil, fmt.Errorf("column %q: %w", schema.Field(i).Name, err)
			}
		}
	}
	return b.NewRecordBatch(), nil
}

// appendValue appends one value to a builder of the canonical type of its column.
func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch x := b.(type) {
	case *array.Int64Builder:
		n, err := toInt64(v)
		if err != nil {
			return err
		}
		x.Append(n)
	case *array.Float64Builder:
		switch f := v.(type) {
		case float64:
			x.Append(f)
		case int64:
			x.Append(float64(f))
		default:
			return mismatch(v, "DOUBLE")
		}
	case *array.BooleanBuilder:
		bv, ok := v.(bool)
		if !ok {
			return mismatch(v, "BOOLEAN")
		}
		x.Append(bv)
	case *array.StringBuilder:
		x.Append(text(v))
	case *array.BinaryBuilder:
		switch s := v.(type) {
		case []byte:
			x.Append(s)
		case string:
			x.AppendString(s)
		default:
			return mismatch(v, "BLOB")
		}
	case *array.Decimal128Builder:
		t := x.Type().(*arrow.Decimal128Type)
		n, err := decimal128.FromString(text(v), t.Precision, t.Scale)
		if err != nil {
			return err
		}
		x.Append(n)
	case *array.Date32Builder, *array.Time64Builder, *array.TimestampBuilder:
		t, ok := v.(time.Time)
		if !ok {
			return mismatch(v, "a date or time")
		}
		appendTime(b, t)
	case *array.ListBuilder:
		elems, ok := v.([]any)
		if !ok {
			return mismatch(v, "ARRAY")
		}
		x.Append(true)
		for _, e := range elems {
			if err := appendValue(x.ValueBuilder(), e); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("no Arrow conversion for %T", b)
	}
	return nil
}

func appendTime(b array.Builder, t time.Time) {
	switch x := b.(type) {
	case *array.Date32Builder:
		x.Append(arrow.Date32FromTime(t))
	case *array.Time64Builder:
		h, m, s := t.Clock()
		x.Append(arrow.Time64((int64(h*3600+m*60+s))*1e6 + int64(t.Nanosecond()/1e3)))
	case *array.TimestampBuilder:
		x.Append(arrow.Timestamp(t.UnixMicro()))
	}
}

func toInt64(v any) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case float64:
		if n == float64(int64(n)) {
			return int64(n), nil
		}
	case tabular.Decimal:
		return strconv.ParseInt(string(n), 10, 64)
	}
	return 0, mismatch(v, "BIGINT")
}

// text is a value as VARCHAR: strings as they are, nested values as JSON, others as printed.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case tabular.Decimal:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []any, map[string]any:
		b, err := json.Marshal(x)
		if err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

func mismatch(v any, want string) error {
	return fmt.Errorf("a %T value where %s was expected", v, want)
}
