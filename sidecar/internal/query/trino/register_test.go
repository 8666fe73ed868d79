package trino

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/dataset"
)

var irisColumns = []Column{
	{"sepal_length_cm", "DOUBLE"}, {"sepal_width_cm", "DOUBLE"}, {"petal_length_cm", "DOUBLE"},
	{"petal_width_cm", "DOUBLE"}, {"species", "VARCHAR"},
}

var penguinsColumns = []Column{
	{"species", "VARCHAR"}, {"island", "VARCHAR"}, {"bill_length_mm", "DOUBLE"}, {"bill_depth_mm", "DOUBLE"},
	{"flipper_length_mm", "BIGINT"}, {"body_mass_g", "BIGINT"}, {"sex", "VARCHAR"}, {"year", "BIGINT"},
}

var weatherColumns = []Column{
	{"date", "DATE"}, {"precipitation", "DOUBLE"}, {"temp_max", "DOUBLE"}, {"temp_min", "DOUBLE"},
	{"wind", "DOUBLE"}, {"weather", "VARCHAR"},
}

// TestTrino runs every test that needs the real servers on one MinIO and one Trino.
func TestTrino(t *testing.T) {
	e := startEnv(t)
	t.Run("RegisterReadsInPlace", func(t *testing.T) { testRegisterReadsInPlace(t, e) })
	t.Run("ExtractedSchemas", func(t *testing.T) { testExtractedSchemas(t, e) })
	t.Run("EngineErrors", func(t *testing.T) { testEngineErrors(t, e) })
	t.Run("EngineCancel", func(t *testing.T) { testEngineCancel(t, e) })
	t.Run("Conformance", func(t *testing.T) { testConformance(t, e) })
}

// splitCSV cuts a CSV file into two, each with the header.
func splitCSV(b []byte) (first, second []byte) {
	lines := bytes.SplitAfter(b, []byte("\n"))
	header, rows := lines[0], lines[1:]
	half := len(rows) / 2
	return append(append([]byte{}, header...), bytes.Join(rows[:half], nil)...),
		append(append([]byte{}, header...), bytes.Join(rows[half:], nil)...)
}

func testRegisterReadsInPlace(t *testing.T, e *env) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, err := e.engine.CreateDataset(ctx, "mixed", dataset.Metadata{})
	require.NoError(t, err)
	iris := sample(t, "iris/iris.csv")
	part0, part1 := splitCSV(iris)
	tables := []Table{
		{Name: "iris", Format: CSV, Columns: irisColumns, Digests: []string{e.write(t, "mixed", "iris.csv", iris)}},
		{Name: "penguins", Format: Parquet, Columns: penguinsColumns, Digests: []string{e.write(t, "mixed", "penguins.parquet", sample(t, "penguins/penguins.parquet"))}},
		{Name: "parts", Format: CSV, Columns: irisColumns, Digests: []string{
			e.write(t, "mixed", "parts/part-0.csv", part0), e.write(t, "mixed", "parts/part-1.csv", part1)}},
		{Name: "weather", Format: JSONL, Columns: weatherColumns, Digests: []string{e.write(t, "mixed", "weather.jsonl", sample(t, "seattle-weather/seattle-weather.jsonl"))}},
	}
	_, err = e.engine.CreateSnapshot(ctx, "mixed", dataset.SnapshotOptions{Message: "v1"})
	require.NoError(t, err)

	before := e.usage(t)
	reg := e.registrar()
	views, err := reg.Register(ctx, "mixed", tables)
	require.NoError(t, err)
	after := e.usage(t)
	assert.Equal(t, before, after, "registering a snapshot must not add, copy or change any object of the store")

	// Every table answers with the file's rows and the extracted schema's types.
	q := func(sql string, dest ...any) {
		t.Helper()
		require.NoError(t, e.db.QueryRowContext(ctx, sql).Scan(dest...), sql)
	}
	var n int64
	var avg float64
	q(`SELECT count(*), avg(petal_length_cm) FROM `+views["iris"]+` WHERE species = 'setosa'`, &n, &avg)
	assert.Equal(t, int64(50), n)
	assert.InDelta(t, 1.462, avg, 1e-9)
	q(`SELECT count(*) FROM `+views["parts"], &n)
	assert.Equal(t, int64(150), n, "the two parts are one table")
	q(`SELECT count(*), sum(body_mass_g) FROM `+views["penguins"], &n, &avg)
	assert.Equal(t, int64(344), n)
	var first time.Time
	q(`SELECT count(*), min(date) FROM `+views["weather"], &n, &first)
	assert.Equal(t, int64(1461), n)
	assert.Equal(t, "2012-01-01", first.Format(time.DateOnly))
	weather := tables[3]
	weather.root = e.root // as the Registrar keys it
	types := map[string]string{}
	rows, err := e.db.QueryContext(ctx, `SELECT column_name, data_type FROM kamld.information_schema.columns WHERE table_schema = '`+filesSchema+`' AND table_name = '`+viewName(weather)+`'`)
	require.NoError(t, err)
	for rows.Next() {
		var c, ty string
		require.NoError(t, rows.Scan(&c, &ty))
		types[c] = ty
	}
	require.NoError(t, rows.Close())
	assert.Equal(t, map[string]string{"date": "date", "precipitation": "double", "temp_max": "double", "temp_min": "double", "wind": "double", "weather": "varchar"}, types)

	// A second snapshot that changes no table shares the first one's views; one that adds a table adds one raw
	// table and one view, its unchanged tables read the same ones.
	rawTables := func() int64 {
		var c int64
		q(`SELECT count(*) FROM kamld.information_schema.tables WHERE table_schema = '`+filesSchema+`' AND table_type = 'BASE TABLE'`, &c)
		return c
	}
	raws := rawTables()
	assert.Equal(t, int64(4), raws)
	e.write(t, "mixed", "README.md", []byte("not a table"))
	_, err = e.engine.CreateSnapshot(ctx, "mixed", dataset.SnapshotOptions{Message: "v2"})
	require.NoError(t, err)
	again, err := e.registrar().Register(ctx, "mixed", tables) // a fresh sidecar: nothing cached
	require.NoError(t, err)
	assert.Equal(t, views, again)
	assert.Equal(t, raws, rawTables())

	wine := Table{Name: "iris_copy", Format: CSV, Columns: irisColumns, Digests: []string{e.write(t, "mixed", "iris_copy.csv", append(iris, "5.0,3.0,1.5,0.2,setosa\n"...))}}
	v3, err := reg.Register(ctx, "mixed", append(tables, wine))
	require.NoError(t, err)
	for name, v := range views {
		assert.Equal(t, v, v3[name], "an unchanged table keeps its view")
	}
	assert.Equal(t, raws+1, rawTables(), "unchanged tables reuse their raw tables")
	q(`SELECT count(*) FROM `+v3["iris_copy"], &n)
	assert.Equal(t, int64(151), n)
	assert.Equal(t, after.blobBytes+int64(len(iris))+int64(len("5.0,3.0,1.5,0.2,setosa\n"))+int64(len("not a table")), e.usage(t).blobBytes,
		"blob bytes grow only by the files written, never by registration")
}
