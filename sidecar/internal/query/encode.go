package query

import (
	"encoding/base64"
	"math"
	"math/big"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// maxExact is 2^53: integers beyond it lose precision as JSON numbers (doubles), so they travel as strings.
const maxExact = 1 << 53

// EncodeRow encodes one row as RowBatch says: numbers as numbers except BIGINT and DECIMAL values outside
// ±2^53 (strings); DATE and TIMESTAMP as RFC 3339 strings; BLOB as base64; NaN and infinities as strings.
func EncodeRow(cols []Column, row []any) *structpb.ListValue {
	out := &structpb.ListValue{Values: make([]*structpb.Value, len(row))}
	for i, v := range row {
		typ := ""
		if i < len(cols) {
			typ = cols[i].Type
		}
		out.Values[i] = EncodeValue(typ, v)
	}
	return out
}

// EncodeValue encodes one value of a column of type typ (dialect of tabular.NormalizeType; "" when unknown).
func EncodeValue(typ string, v any) *structpb.Value {
	switch x := v.(type) {
	case nil:
		return structpb.NewNullValue()
	case bool:
		return structpb.NewBoolValue(x)
	case int64:
		if x > maxExact || x < -maxExact {
			return structpb.NewStringValue(big.NewInt(x).String())
		}
		return structpb.NewNumberValue(float64(x))
	case float64:
		switch {
		case math.IsNaN(x):
			return structpb.NewStringValue("NaN")
		case math.IsInf(x, 1):
			return structpb.NewStringValue("Infinity")
		case math.IsInf(x, -1):
			return structpb.NewStringValue("-Infinity")
		}
		return structpb.NewNumberValue(x)
	case tabular.Decimal:
		f, ok := new(big.Float).SetString(string(x))
		if ok && f.IsInt() {
			if i, acc := f.Int64(); acc == big.Exact && i <= maxExact && i >= -maxExact {
				return structpb.NewNumberValue(float64(i))
			}
			return structpb.NewStringValue(string(x))
		}
		if ok {
			if abs := new(big.Float).Abs(f); abs.Cmp(big.NewFloat(maxExact)) <= 0 {
				v, _ := f.Float64()
				return structpb.NewNumberValue(v)
			}
		}
		return structpb.NewStringValue(string(x))
	case string:
		return structpb.NewStringValue(x)
	case time.Time:
		return structpb.NewStringValue(formatTime(typ, x))
	case []byte:
		return structpb.NewStringValue(base64.StdEncoding.EncodeToString(x))
	case []any:
		l := &structpb.ListValue{Values: make([]*structpb.Value, len(x))}
		for i, e := range x {
			l.Values[i] = EncodeValue("", e)
		}
		return structpb.NewListValue(l)
	case map[string]any:
		s := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(x))}
		for k, e := range x {
			s.Fields[k] = EncodeValue("", e)
		}
		return structpb.NewStructValue(s)
	}
	return structpb.NewStringValue("")
}

func formatTime(typ string, t time.Time) string {
	switch typ {
	case "DATE":
		return t.Format(time.DateOnly)
	case "TIME":
		return t.Format("15:04:05.999999999")
	case "TIMESTAMP":
		return t.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")
	}
	return t.Format(time.RFC3339Nano)
}
