package trino

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestJSONValue(t *testing.T) {
	ts := time.Date(2024, 2, 3, 4, 5, 6, 789000000, time.UTC)
	for _, c := range []struct {
		typ  string
		in   any
		want any
	}{
		{"bigint", int64(42), int64(42)},
		{"bigint", int64(1<<53 + 1), "9007199254740993"},
		{"bigint", int64(-(1<<53 + 1)), "-9007199254740993"},
		{"double", 1.5, 1.5},
		{"double", math.NaN(), "NaN"},
		{"double", math.Inf(-1), "-Inf"},
		{"decimal(10,2)", "12.50", 12.5},
		{"decimal(38,0)", "123456789012345678901234567890", "123456789012345678901234567890"},
		{"varchar", "x", "x"},
		{"boolean", true, true},
		{"date", ts, "2024-02-03"},
		{"timestamp(6)", ts, "2024-02-03T04:05:06.789"},
		{"timestamp(6) with time zone", ts, "2024-02-03T04:05:06.789Z"},
		{"time(6)", ts, "04:05:06.789"},
		{"varbinary", []byte("hi"), "aGk="},
		{"array(bigint)", []any{int64(1), nil}, []any{int64(1), nil}},
		{"varchar", nil, nil},
	} {
		assert.Equal(t, c.want, jsonValue(c.typ, c.in), "%s %v", c.typ, c.in)
	}
}
