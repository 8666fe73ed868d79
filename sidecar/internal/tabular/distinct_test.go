package tabular

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDistinctCounts: exact within the row budget; beyond it the HyperLogLog stays within its stated bound
// (±1.3%, three standard errors) on columns of very different cardinalities, where DuckDB's
// approx_count_distinct did not.
func TestDistinctCounts(t *testing.T) {
	db, err := OpenDuckDB(context.Background(), DuckOptions{Threads: 2})
	require.NoError(t, err)
	defer db.Close()
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	const rows = 2_000_000
	truth := []int64{1, 97, 5_000, 50_000, 336_776, 1_000_003, rows}
	var exprs string
	var cols []Column
	for i, k := range truth {
		exprs += fmt.Sprintf(", hash(i %% %d) AS c%d", k, i)
		cols = append(cols, Column{Name: fmt.Sprintf("c%d", i), Stats: &ColumnStats{}})
	}
	exprs += ", CASE WHEN i % 2 = 0 THEN NULL ELSE 'v' || (i % 777) END AS nulls"
	cols = append(cols, Column{Name: "nulls", Stats: &ColumnStats{}})
	src := fmt.Sprintf("(SELECT i%s FROM range(%d) t(i))", exprs, rows)

	require.NoError(t, distinctCounts(context.Background(), conn, src, cols, rows))
	for i, k := range truth {
		got := cols[i].Stats.DistinctEstimate
		var approx int64
		require.NoError(t, conn.QueryRowContext(context.Background(), fmt.Sprintf("SELECT approx_count_distinct(c%d) FROM %s", i, src)).Scan(&approx))
		rel := float64(got-k) / float64(k)
		t.Logf("distinct %8d: HLL %8d (%+.2f%%), approx_count_distinct %8d (%+.2f%%)", k, got, 100*rel, approx, 100*float64(approx-k)/float64(k))
		assert.LessOrEqual(t, math.Abs(rel), 0.013, "column of %d distinct values: %d", k, got)
	}
	assert.InDelta(t, 777, cols[len(cols)-1].Stats.DistinctEstimate, 777*0.025, "nulls are not counted")

	small := fmt.Sprintf("(SELECT i %% 336 AS a, i AS b FROM range(%d) t(i))", exactDistinctRows)
	two := []Column{{Name: "a", Stats: &ColumnStats{}}, {Name: "b", Stats: &ColumnStats{}}}
	require.NoError(t, distinctCounts(context.Background(), conn, small, two, exactDistinctRows))
	assert.EqualValues(t, 336, two[0].Stats.DistinctEstimate, "exact within the budget")
	assert.EqualValues(t, exactDistinctRows, two[1].Stats.DistinctEstimate)
}
