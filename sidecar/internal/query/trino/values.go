package trino

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxExactInt is the largest integer a JSON number (a float64) holds exactly: 2^53.
const maxExactInt = 1 << 53

// jsonValue converts a value trino-go-client scanned from a column of Trino type typ (e.g. "bigint",
// "decimal(10,2)", "timestamp(6)", "array(date)") to a row value as query.proto encodes them: numbers as
// numbers, except BIGINT and DECIMAL values outside ±2^53, which are strings; DATE, TIME and TIMESTAMP as
// RFC 3339 strings; VARBINARY as base64; arrays element by element; non-finite floats as strings ("NaN").
func jsonValue(typ string, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case int64:
		if x > maxExactInt || x < -maxExactInt {
			return strconv.FormatInt(x, 10)
		}
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return x
	case string:
		if strings.HasPrefix(typ, "decimal") {
			return decimalValue(x)
		}
		return x
	case time.Time:
		return timeValue(typ, x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case []any:
		elem := strings.TrimSuffix(strings.TrimPrefix(typ, "array("), ")")
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(elem, e)
		}
		return out
	}
	return v
}

// decimalValue is a decimal's text as a number when a float64 holds its integer part exactly.
func decimalValue(s string) any {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.Abs(f) > maxExactInt {
		return s
	}
	return f
}

// timeValue renders dates as YYYY-MM-DD, times as hh:mm:ss[.ffffff] and timestamps in RFC 3339 (a zoneless
// timestamp is read in UTC, the session zone the engine sets, and written without an offset).
func timeValue(typ string, t time.Time) string {
	switch {
	case typ == "date":
		return t.Format(time.DateOnly)
	case strings.HasPrefix(typ, "time") && !strings.HasPrefix(typ, "timestamp"):
		return t.Format("15:04:05.999999")
	case strings.Contains(typ, "with time zone"):
		return t.Format(time.RFC3339Nano)
	}
	return t.UTC().Format("2006-01-02T15:04:05.999999999")
}
