package tabular

import (
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// NormalizeValue turns a value scanned from DuckDB into one of the engine-neutral Go values results carry:
// nil, bool, int64, float64, string, time.Time, []byte, Decimal (exact numbers beyond int64 or with a scale),
// []any and map[string]any. Anything else becomes its text.
func NormalizeValue(v any) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, time.Time, []byte:
		return x
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return Decimal(new(big.Int).SetUint64(x).String())
		}
		return int64(x)
	case float32:
		return float64(x)
	case *big.Int:
		return Decimal(x.String())
	case duckdb.Decimal:
		return Decimal(x.String())
	case duckdb.UUID:
		return x.String()
	case *duckdb.UUID:
		return x.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = NormalizeValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = NormalizeValue(e)
		}
		return out
	case duckdb.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = NormalizeValue(e)
		}
		return out
	}
	return fmt.Sprint(v)
}

// Decimal is an exact number as decimal text ("12.50", "-98765432109876543210").
type Decimal string
