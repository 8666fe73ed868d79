package guard_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
)

func TestAccepted(t *testing.T) {
	g := guard.New()
	for sql, want := range map[string][]string{
		`SELECT species, avg(petal_length) FROM "iris@v3".iris GROUP BY 1`: {"iris@v3"},
		`select * from "iris@v3"`:                                                                {"iris@v3"},
		`SELECT * FROM iris.iris;`:                                                               {"iris"},
		`  -- a comment; DROP TABLE x` + "\n" + `SELECT 1`:                                       nil,
		`/* DELETE */ SELECT 'DROP TABLE x; ATTACH', "update" FROM "wine@prod".w`:                {"wine@prod"},
		`WITH t AS (SELECT * FROM "iris@draft".iris) SELECT count(*) FROM t`:                     {"iris@draft", "t"}, // t is only a candidate
		`(SELECT 1) UNION ALL (SELECT 2)`:                                                        nil,
		`EXPLAIN SELECT * FROM "a@v1".t`:                                                         {"a@v1"},
		`EXPLAIN ANALYZE SELECT 1`:                                                               nil,
		`DESCRIBE "iris@v1".iris`:                                                                {"iris@v1"},
		`SELECT extract(year FROM d), trim(' ' FROM s), substring(s FROM 2 FOR 3) FROM "d@v1".t`: {"d@v1"},
		`SELECT * FROM "d@v1".t AS x(a, b), "d@v1".u y(c)`:                                       {"d@v1"},
		`WITH w(a) AS (SELECT 1), v AS MATERIALIZED (SELECT 2) SELECT * FROM w, v`:               {"w", "v"},
		`SELECT coalesce(a, 1), ARRAY(SELECT 1), x IN (1, 2) FROM unnest([1, 2]) u(x), range(3)`: nil,
		`SELECT $$it's; DROP$$ AS s, $t$x$t$`:                                                    nil,
		`SELECT a.x, b.y FROM "p@v1".a AS a JOIN "p@v2".b AS b ON a.k = b.k`:                     {"a", "b", "p@v1", "p@v2"},
		`SELECT * FROM "x@v1".t, "y@v2".u WHERE t.a = u.a`:                                       {"x@v1", "y@v2", "t", "u"},
		`SELECT 1e10, .5, 0x1F, 1_000`:                                                           nil,
		`SELECT 'a' || 'b', x::VARCHAR, y->>'k' FROM "d@v1".t`:                                   {"d@v1"},
	} {
		st, err := g.Check(sql)
		require.NoError(t, err, sql)
		var got []string
		for _, d := range st.Datasets {
			got = append(got, d.Name)
		}
		require.Equal(t, want, got, sql)
	}
}

func TestRejected(t *testing.T) {
	g := guard.New()
	for sql, why := range map[string]string{
		``:                                           "empty",
		`;`:                                          "empty",
		`SELECT 1; SELECT 2`:                         "only one statement",
		`SELECT 1; DROP TABLE x`:                     "only one statement",
		`DROP TABLE x`:                               "only SELECT",
		`INSERT INTO t VALUES (1)`:                   "only SELECT",
		`CREATE TABLE t AS SELECT 1`:                 "only SELECT",
		`UPDATE t SET a = 1`:                         "only SELECT",
		`DELETE FROM t`:                              "only SELECT",
		`CALL pragma_version()`:                      "only SELECT",
		`SET enable_external_access = true`:          "only SELECT",
		`USE other`:                                  "only SELECT",
		`PREPARE p AS SELECT 1`:                      "only SELECT",
		`COPY (SELECT 1) TO '/tmp/x.csv'`:            "only SELECT",
		`ATTACH '/tmp/x.db' AS x`:                    "only SELECT",
		`PRAGMA show_tables`:                         "only SELECT",
		`SHOW TABLES`:                                "only SELECT",
		`SHOW DATABASES`:                             "only SELECT",
		`SHOW ALL TABLES`:                            "only SELECT",
		`SELECT * FROM pragma_database_list`:         "",
		`SELECT * FROM pragma_database_list()`:       "pragma_database_list is not allowed",
		`SELECT * FROM duckdb_views()`:               "duckdb_views is not allowed",
		`SELECT version()`:                           "version is not allowed",
		`SELECT current_database()`:                  "current_database is not allowed",
		`SELECT * FROM TABLE(system.sequence(1, 2))`: "TABLE is not allowed",
		`SELECT x FROM "iris@v1".iris, (SELECT nosuchfunc(1))`: "nosuchfunc is not allowed",
		`SELECT json_serialize_plan('SELECT * FROM t')`:        "json_serialize_plan is not allowed",
		`INSTALL httpfs`:                                        "only SELECT",
		`LOAD httpfs`:                                           "only SELECT",
		`SUMMARIZE SELECT 1`:                                    "only SELECT",
		`EXPLAIN ANALYZE DELETE FROM t`:                         "EXPLAIN must be followed by a SELECT",
		`EXPLAIN (FORMAT JSON) INSERT INTO t SELECT 1`:          "EXPLAIN must be followed by a SELECT",
		`WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x`: "DELETE is not allowed",
		`SELECT * FROM read_csv('/etc/passwd')`:                 "read_csv is not allowed",
		`SELECT * FROM READ_PARQUET('x')`:                       "READ_PARQUET is not allowed",
		`SELECT * FROM "read_csv_auto"('/etc/passwd')`:          "read_csv_auto is not allowed",
		`SELECT * FROM glob('/*')`:                              "glob is not allowed",
		`SELECT * FROM query('DROP TABLE x')`:                   "query is not allowed",
		`SELECT getenv('HOME')`:                                 "getenv is not allowed",
		`SELECT * FROM duckdb_settings()`:                       "duckdb_settings is not allowed",
		`SELECT current_setting('allowed_directories')`:         "current_setting is not allowed",
		`SELECT * FROM '/etc/passwd'`:                           "a string cannot stand for a table",
		`SELECT * FROM "iris@v1".t, '/etc/passwd'`:              "a string cannot stand for a table",
		`SELECT * FROM "/etc/passwd"`:                           "looks like a file path",
		`SELECT * FROM "data.csv"`:                              "looks like a file path",
		`SELECT * FROM information_schema.tables`:               "not a dataset",
		`SELECT * FROM system.main.t`:                           "not a dataset",
		`SELECT * FROM memory.main.t`:                           "not a dataset",
		`SELECT * FROM pg_catalog.pg_class`:                     "not a dataset",
		`SELECT 1 /* /* */ ; DROP TABLE x; -- */`:               "nested /* comments",
		`SELECT 'unterminated`:                                  "unterminated string",
		`SELECT "unterminated`:                                  "unterminated quoted identifier",
		`SELECT 1 /* open`:                                      "unterminated /* comment",
		`SELECT E'\'; DROP TABLE x; --'`:                        "string prefixes",
		`SELECT U&'\0041'`:                                      "string prefixes",
		`SELECT $1`:                                             "parameters",
		`SELECT ?`:                                              "parameters",
		`SELECT $tag$ unterminated`:                             "unterminated",
		"SELECT `x`":                                            "backquoted",
		"SELECT 1\x00":                                          "NUL",
		`SELECT * FROM t WHERE x = 1; `:                         "",
	} {
		_, err := g.Check(sql)
		if why == "" {
			require.NoError(t, err, sql)
			continue
		}
		require.Error(t, err, sql)
		require.Contains(t, err.Error(), why, sql)
	}
}

func TestReservedSchemasOption(t *testing.T) {
	g := guard.New(guard.WithReservedSchemas("hive"))
	_, err := g.Check(`SELECT * FROM hive.default.t`)
	require.ErrorContains(t, err, "not a dataset")
	_, err = g.Check(`SELECT h.x FROM "d@v1".t AS h`)
	require.NoError(t, err)
}

func TestAPIErrorHasLineAndColumn(t *testing.T) {
	sql := "SELECT 1\nFROM t;\n  DROP TABLE t"
	_, err := guard.New().Check(sql)
	apiErr := guard.AsAPIError(sql, err)
	var ae *apierr.Error
	require.True(t, errors.As(apiErr, &ae))
	require.Equal(t, codes.InvalidArgument, ae.Code)
	require.Equal(t, "sql", ae.Violations[0].Field)
	require.Contains(t, ae.Violations[0].Description, "line 2, column 7", "the semicolon: %s", ae.Violations[0].Description)
}

func TestLineCol(t *testing.T) {
	l, c := guard.LineCol("ab\ncdé\nf", 7)
	require.Equal(t, 2, l)
	require.Equal(t, 4, c)
}
