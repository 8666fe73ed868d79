package trino

import (
	"strings"

	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// normalize turns a value trino-go-client scanned from a column of Trino type typ (e.g. "bigint",
// "decimal(10,2)", "array(decimal(5,1))") into the engine-neutral values results carry (tabular.NormalizeValue):
// nil, bool, int64, float64, string, time.Time, []byte, tabular.Decimal, []any, map[string]any. The driver
// already gives all of them but decimals, which it reads as text.
func normalize(typ string, v any) any {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(typ, "decimal") {
			return tabular.Decimal(x)
		}
		return x
	case []any:
		elem := strings.TrimSuffix(strings.TrimPrefix(typ, "array("), ")")
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(elem, e)
		}
		return out
	}
	return v
}
