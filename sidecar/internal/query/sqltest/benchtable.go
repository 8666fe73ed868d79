package sqltest

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// BenchTable writes the SQL benchmarks' table, the same for every engine, as a file of format f ("csv" or
// "parquet") with the given number of rows: an id, a group of 100, a value and a name.
func BenchTable(b *testing.B, f string, rows int) string {
	db, err := sql.Open("duckdb", "")
	require.NoError(b, err)
	defer db.Close()
	p := filepath.Join(b.TempDir(), "t."+f)
	q := fmt.Sprintf(`COPY (SELECT i AS id, i %% 100 AS grp, ((i * 7919) %% 100000) / 100.0 AS value, 'name-' || (i %% 1000) AS name
		FROM range(%d) t(i)) TO %s (FORMAT %s)`, rows, tabular.Literal(p), f)
	_, err = db.Exec(q)
	require.NoError(b, err)
	return p
}
