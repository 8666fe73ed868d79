package trino

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// testExtractedSchemas registers the tables as the sidecar sees them — grouped and typed by the tabular
// package from DuckDB's extraction — and checks that Trino reports the same columns, types and row counts.
func testExtractedSchemas(t *testing.T, e *env) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, err := e.engine.CreateDataset(ctx, "extracted", dataset.Metadata{})
	require.NoError(t, err)
	iris := sample(t, "iris/iris.csv")
	part0, part1 := splitCSV(iris)
	e.write(t, "extracted", "iris.csv", iris)
	e.write(t, "extracted", "penguins.parquet", sample(t, "penguins/penguins.parquet"))
	e.write(t, "extracted", "wine.parquet", sample(t, "wine/wine.parquet"))
	e.write(t, "extracted", "weather.jsonl", sample(t, "seattle-weather/seattle-weather.jsonl"))
	e.write(t, "extracted", "split/part-0.csv", part0)
	e.write(t, "extracted", "split/part-1.csv", part1)
	_, err = e.engine.CreateSnapshot(ctx, "extracted", dataset.SnapshotOptions{Message: "v1"})
	require.NoError(t, err)

	state, err := e.tables.At(ctx, "extracted", "")
	require.NoError(t, err)
	tables := tabular.Tables(state.Files)
	require.Len(t, tables, 5)
	views, err := e.registrar().Register(ctx, "extracted", fromTabular(tables))
	require.NoError(t, err)

	for _, tbl := range tables {
		want := map[string]string{}
		for _, c := range tbl.Columns {
			typ, ok := trinoType(c.Type)
			require.True(t, ok, "%s.%s: %s", tbl.Name, c.Name, c.Type)
			want[c.Name] = typ
		}
		got := map[string]string{}
		rows, err := e.db.QueryContext(ctx, `SELECT column_name, data_type FROM kamld.information_schema.columns WHERE table_schema = `+
			quoteString(filesSchema)+` AND table_name = `+quoteString(viewName(registered(t, e.root, tables, tbl.Name))))
		require.NoError(t, err)
		for rows.Next() {
			var c, ty string
			require.NoError(t, rows.Scan(&c, &ty))
			got[c] = ty
		}
		require.NoError(t, rows.Close())
		assert.Equal(t, want, got, tbl.Name)

		var n int64
		require.NoError(t, e.db.QueryRowContext(ctx, `SELECT count(*) FROM `+views[strings.ToLower(tbl.Name)]).Scan(&n))
		assert.Equal(t, tbl.RowCount, n, tbl.Name)
		// Every value converts: a full scan of each table through the driver.
		rows, err = e.db.QueryContext(ctx, `SELECT * FROM `+views[strings.ToLower(tbl.Name)])
		require.NoError(t, err)
		for rows.Next() {
		}
		require.NoError(t, rows.Err(), tbl.Name)
		require.NoError(t, rows.Close())
	}
}

// registered is the table named name as the Registrar registers it (its store root set).
func registered(t *testing.T, root string, tables []tabular.Table, name string) Table {
	for _, x := range fromTabular(tables) {
		if x.Name == name {
			x.root = root
			return x
		}
	}
	t.Fatalf("no table %s", name)
	return Table{}
}
