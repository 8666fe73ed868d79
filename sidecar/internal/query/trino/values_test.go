package trino

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kamld/kamld/sidecar/internal/tabular"
)

func TestNormalize(t *testing.T) {
	ts := time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
	assert.Equal(t, tabular.Decimal("12.50"), normalize("decimal(10,2)", "12.50"))
	assert.Equal(t, "12.50", normalize("varchar", "12.50"))
	assert.Equal(t, []any{tabular.Decimal("1.5"), nil}, normalize("array(decimal(5,1))", []any{"1.5", nil}))
	assert.Equal(t, ts, normalize("timestamp(6)", ts))
	assert.Equal(t, int64(7), normalize("bigint", int64(7)))
	assert.Nil(t, normalize("bigint", nil))
}

func TestDialectType(t *testing.T) {
	for trino, want := range map[string]string{
		"bigint": "BIGINT", "integer": "BIGINT", "double": "DOUBLE", "real": "DOUBLE", "varchar(5)": "VARCHAR",
		"varchar": "VARCHAR", "decimal(10,2)": "DECIMAL(10,2)", "timestamp(6)": "TIMESTAMP", "date": "DATE",
		"timestamp(3) with time zone": "TIMESTAMP WITH TIME ZONE", "boolean": "BOOLEAN", "varbinary": "BLOB",
		"array(integer)": "ARRAY(BIGINT)", "time(6)": "TIME",
	} {
		assert.Equal(t, want, dialectType(trino), trino)
	}
}
