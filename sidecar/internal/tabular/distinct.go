package tabular

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
)

// Distinct counts (ColumnStats.distinct_estimate). DuckDB's approx_count_distinct was measured off by more
// than 5% on most real columns (a small sketch), so:
//   - a file of at most exactDistinctRows rows gets exact counts (count(DISTINCT …)), which at that size costs
//     about what its sketch did;
//   - a larger one gets a HyperLogLog of 2^hllBits registers, computed here from DuckDB's 64-bit hash:
//     relative standard error 1.04/sqrt(2^16) ≈ 0.41%, so about 95% of estimates fall within ±0.8% and
//     99.7% within ±1.3% of the true count (Flajolet et al. 2007). Below 3·2^16 distinct values, where the
//     raw estimate is biased, linear counting over the empty registers is used instead (error under 0.6%).
const (
	exactDistinctRows = 1_000_000
	hllBits           = 16
)

// distinctCounts fills DistinctEstimate of every column (non-null values) of the file src with rows rows.
func distinctCounts(ctx context.Context, conn *sql.Conn, src string, cols []Column, rows int64) error {
	if len(cols) == 0 {
		return nil
	}
	if rows <= exactDistinctRows {
		exprs := make([]string, len(cols))
		dest := make([]any, len(cols))
		for i, c := range cols {
			exprs[i] = fmt.Sprintf("count(DISTINCT %s)", Ident(c.Name))
			dest[i] = &cols[i].Stats.DistinctEstimate
		}
		return conn.QueryRowContext(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+src).Scan(dest...)
	}
	return hyperLogLog(ctx, conn, src, cols)
}

// hyperLogLog estimates every column's distinct count in one scan: per column and register (the top
// hllBits bits of the value's hash), the largest rank (position of the first 1 in the remaining bits).
func hyperLogLog(ctx context.Context, conn *sql.Conn, src string, cols []Column) error {
	hashes := make([]string, len(cols))
	idx := make([]string, len(cols))
	for i, c := range cols {
		q := Ident(c.Name)
		hashes[i] = fmt.Sprintf("CASE WHEN %s IS NULL THEN NULL ELSE hash(%s) END", q, q)
		idx[i] = fmt.Sprint(i)
	}
	rest := 64 - hllBits
	mask := fmt.Sprintf("%d::UBIGINT", uint64(1)<<rest-1)
	q := fmt.Sprintf(`SELECT i, reg, max(rho) FROM (
  SELECT i, h >> %d AS reg, CASE WHEN h & %s = 0 THEN %d ELSE %d - floor(log2((h & %s)::DOUBLE))::INTEGER END AS rho
  FROM (SELECT unnest([%s]) AS h, unnest([%s]) AS i FROM %s) WHERE h IS NOT NULL
) GROUP BY i, reg`, rest, mask, rest+1, rest, mask, strings.Join(hashes, ", "), strings.Join(idx, ", "), src)
	rs, err := conn.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rs.Close()
	sums := make([]float64, len(cols))
	filled := make([]int, len(cols))
	for rs.Next() {
		var i, reg, rho int64
		if err := rs.Scan(&i, &reg, &rho); err != nil {
			return err
		}
		sums[i] += math.Pow(2, -float64(rho))
		filled[i]++
	}
	if err := rs.Err(); err != nil {
		return err
	}
	for i := range cols {
		cols[i].Stats.DistinctEstimate = hllEstimate(sums[i], filled[i])
	}
	return nil
}

// hllEstimate is the HyperLogLog estimate from the sum of 2^-rank over the filled registers.
func hllEstimate(sum float64, filled int) int64 {
	m := float64(int(1) << hllBits)
	zeros := m - float64(filled)
	sum += zeros // an empty register counts 2^0
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if lc := m * math.Log(m/zeros); zeros > 0 && lc <= 3*m {
		e = lc // linear counting: where the raw estimate is biased, and more precise
	}
	return int64(math.Round(e))
}
