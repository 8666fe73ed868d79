package query_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

func rewrite(t *testing.T, sql string, schemas []query.Schema) (*query.Rewritten, error) {
	t.Helper()
	st, err := guard.New().Check(sql)
	require.NoError(t, err, sql)
	n := 0
	return query.Rewrite(st, schemas, func(*query.Schema, *tabular.Table) string {
		n++
		return `"t` + string(rune('0'+n)) + `"`
	})
}

func TestRewrite(t *testing.T) {
	iris := []query.Schema{{Name: "iris@v1", Dataset: "iris", Tables: []tabular.Table{{Name: "iris"}}},
		{Name: "two", Dataset: "two", Tables: []tabular.Table{{Name: "a"}, {Name: "b"}}}}
	for in, want := range map[string]string{
		`SELECT * FROM "iris@v1".iris`:                                 `SELECT * FROM "t1" AS "iris"`,
		`SELECT * FROM "iris@v1"`:                                      `SELECT * FROM "t1" AS "iris@v1"`,
		`SELECT x.a FROM "iris@v1".iris x WHERE x.a > 1;`:              `SELECT x.a FROM "t1" x WHERE x.a > 1`,
		`SELECT * FROM "iris@v1".iris AS p JOIN two.b ON p.k = b.k`:    `SELECT * FROM "t1" AS p JOIN "t2" AS "b" ON p.k = b.k`,
		`SELECT * FROM "iris@v1".iris a, "iris@v1".iris b`:             `SELECT * FROM "t1" a, "t1" b`,
		"SELECT two.a.x\nFROM two.a -- the end":                        "SELECT two.a.x\nFROM \"t1\" AS \"a\"",
		`DESCRIBE "iris@v1".iris`:                                      `DESCRIBE "t1"`,
		`WITH two AS (SELECT 1 AS a) SELECT two.a FROM two`:            `WITH two AS (SELECT 1 AS a) SELECT two.a FROM two`,
		`SELECT 'two.a', "iris@v1".iris.sepal FROM "iris@v1".iris`:     `SELECT 'two.a', "t1".sepal FROM "t1" AS "iris"`,
		`SELECT count(*) FROM "iris@v1".iris WHERE iris.species = 'x'`: `SELECT count(*) FROM "t1" AS "iris" WHERE iris.species = 'x'`,
	} {
		rw, err := rewrite(t, in, iris)
		require.NoError(t, err, in)
		require.Equal(t, want, rw.SQL, in)
	}
}

func TestRewriteErrors(t *testing.T) {
	schemas := []query.Schema{{Name: "iris@v1", Tables: []tabular.Table{{Name: "iris"}}},
		{Name: "two@v1", Tables: []tabular.Table{{Name: "a"}, {Name: "b"}}}}
	_, err := rewrite(t, `SELECT * FROM "iris@v1".nope`, schemas)
	require.ErrorContains(t, err, `has no table "nope"; its tables: iris`)
	require.ErrorContains(t, err, "line 1, column 25")
	_, err = rewrite(t, `SELECT * FROM "two@v1"`, schemas)
	require.ErrorContains(t, err, "has 2 tables, so name one")
}

func TestOriginalPosAndClean(t *testing.T) {
	schemas := []query.Schema{{Name: "iris@v1", Tables: []tabular.Table{{Name: "iris"}}}}
	in := `SELECT nope FROM "iris@v1".iris WHERE bad`
	rw, err := rewrite(t, in, schemas)
	require.NoError(t, err)
	require.Equal(t, strings.Index(in, "nope"), rw.OriginalPos(strings.Index(rw.SQL, "nope")))
	require.Equal(t, strings.Index(in, "bad"), rw.OriginalPos(strings.Index(rw.SQL, "bad")))
	require.Equal(t, strings.Index(in, `"iris@v1"`), rw.OriginalPos(strings.Index(rw.SQL, `"t1"`)+1))
	require.Equal(t, `Table "iris@v1".iris has no column`, rw.Clean(`Table "t1" has no column`))
}

func TestEncodeValue(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		in   any
		want any
	}{
		{"BIGINT", int64(42), 42.0},
		{"BIGINT", int64(1<<53 + 1), "9007199254740993"},
		{"BIGINT", int64(-(1 << 53) - 1), "-9007199254740993"},
		{"DOUBLE", math.NaN(), "NaN"},
		{"DOUBLE", math.Inf(-1), "-Infinity"},
		{"DECIMAL(10,2)", tabular.Decimal("12.50"), 12.5},
		{"DECIMAL(38,0)", tabular.Decimal("123456789012345678901234567890"), "123456789012345678901234567890"},
		{"DATE", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "2024-02-29"},
		{"TIMESTAMP", time.Date(2024, 2, 29, 1, 2, 3, 500_000_000, time.UTC), "2024-02-29T01:02:03.5Z"},
		{"BLOB", []byte("hi"), "aGk="},
		{"VARCHAR", nil, nil},
		{"ARRAY(BIGINT)", []any{int64(1), nil}, []any{1.0, nil}},
		{"STRUCT(a BIGINT)", map[string]any{"a": int64(1)}, map[string]any{"a": 1.0}},
	} {
		require.Equal(t, tc.want, query.EncodeValue(tc.typ, tc.in).AsInterface(), "%s %v", tc.typ, tc.in)
	}
}
