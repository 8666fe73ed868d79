package tabular_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

func column(t *testing.T, tb tabular.Table, name string) tabular.Column {
	t.Helper()
	for _, c := range tb.Columns {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("table %s has no column %s: %+v", tb.Name, name, tb.Columns)
	return tabular.Column{}
}

func table(t *testing.T, files []tabular.File, name string) tabular.Table {
	t.Helper()
	for _, tb := range tabular.Tables(files) {
		if tb.Name == name {
			return tb
		}
	}
	t.Fatalf("no table %s in %+v", name, tabular.Tables(files))
	return tabular.Table{}
}

func TestExtractEveryFormat(t *testing.T) {
	onStores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		create(t, e, "mixed")
		write(t, e, "mixed", "iris.csv", sample(t, "iris/iris.csv"))
		write(t, e, "mixed", "penguins.parquet", sample(t, "penguins/penguins.parquet"))
		write(t, e, "mixed", "weather/seattle.jsonl", sample(t, "seattle-weather/seattle-weather.jsonl"))
		write(t, e, "mixed", "scores.tsv", "name\tscore\tday\nann\t3\t2024-01-02\nbob\t\t2024-01-03\nann\t5\t2024-02-01\n")
		write(t, e, "mixed", "notes.txt", "not a table")
		s := snapshot(t, e, "mixed")

		files, err := e.catalog.SnapshotFiles(ctx, "mixed", s)
		require.NoError(t, err)
		require.Len(t, files, 4, "the text file is not tabular")

		iris := table(t, files, "iris")
		require.Equal(t, tabular.CSV, iris.Format)
		require.EqualValues(t, 150, iris.RowCount)
		sl := column(t, iris, "sepal_length_cm")
		require.Equal(t, "DOUBLE", sl.Type)
		require.Equal(t, "4.3", sl.Stats.Min)
		require.Equal(t, "7.9", sl.Stats.Max)
		require.Zero(t, sl.Stats.NullCount)
		sp := column(t, iris, "species")
		require.Equal(t, "VARCHAR", sp.Type)
		require.InDelta(t, 3, sp.Stats.DistinctEstimate, 0)
		require.Equal(t, []string{"setosa", "versicolor", "virginica"}, sp.Stats.Samples, "samples are distinct values of the first rows")

		scores := table(t, files, "scores")
		require.Equal(t, tabular.TSV, scores.Format)
		require.EqualValues(t, 3, scores.RowCount)
		sc := column(t, scores, "score")
		require.Equal(t, "BIGINT", sc.Type)
		require.EqualValues(t, 1, sc.Stats.NullCount)
		require.True(t, sc.Nullable)
		require.Equal(t, "DATE", column(t, scores, "day").Type)
		require.Equal(t, []string{"ann", "bob"}, column(t, scores, "name").Stats.Samples)

		peng := table(t, files, "penguins")
		require.Equal(t, tabular.Parquet, peng.Format)
		require.Positive(t, peng.RowCount)
		require.NotEmpty(t, peng.Columns)

		w := table(t, files, "weather__seattle")
		require.Equal(t, tabular.JSONL, w.Format)
		require.Positive(t, w.RowCount)
		require.Equal(t, "weather/seattle.jsonl", w.Path)
	})
}

func TestSnapshotReusesParentSchemas(t *testing.T) {
	onStores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		create(t, e, "reuse")
		write(t, e, "reuse", "iris.csv", sample(t, "iris/iris.csv"))
		v1 := snapshot(t, e, "reuse")
		files1, err := e.catalog.SnapshotFiles(ctx, "reuse", v1)
		require.NoError(t, err)

		// A new catalog (nothing in memory) on a store that lost iris.csv's bytes: v2 can only know its schema
		// from v1's stored record, because the file did not change.
		fresh := newEnv(t, e.engine.Blobs())
		write(t, e, "reuse", "more.csv", "a,b\n1,x\n2,y\n")
		v2 := snapshot(t, e, "reuse")
		info, err := e.engine.StatFile(ctx, "reuse", "v1", "iris.csv")
		require.NoError(t, err)
		require.NoError(t, e.engine.Blobs().Delete(ctx, dataset.BlobKey(info.Digest), blob.DeleteOptions{}))

		files2, err := fresh.catalog.SnapshotFiles(ctx, "reuse", v2)
		require.NoError(t, err)
		require.Len(t, files2, 2)
		require.Equal(t, files1[0], files2[0], "iris.csv is carried over from v1")
		require.EqualValues(t, 2, files2[1].Schema.RowCount)

		// Stored with the snapshot: asking again reads the record, even with the bytes gone.
		again, err := newEnv(t, e.engine.Blobs()).catalog.SnapshotFiles(ctx, "reuse", v2)
		require.NoError(t, err)
		require.Equal(t, files2, again)
	})
}

func TestBudgetLeavesFilesPendingThenCatchesUp(t *testing.T) {
	onStores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		create(t, e, "big")
		write(t, e, "big", "iris.csv", sample(t, "iris/iris.csv"))
		write(t, e, "big", "small.csv", "a\n1\n")
		s := snapshot(t, e, "big")

		tight := newEnv(t, e.engine.Blobs(), tabular.WithBudget(tabular.Budget{MaxFileBytes: 100}))
		files, err := tight.catalog.SnapshotFiles(ctx, "big", s)
		require.NoError(t, err)
		require.Nil(t, files[0].Schema, "iris.csv is over the budget: pending")
		require.NotNil(t, files[1].Schema)
		tb := table(t, files, "iris")
		require.Empty(t, tb.Columns, "a pending file is a table without columns yet")

		files, err = e.catalog.SnapshotFiles(ctx, "big", s)
		require.NoError(t, err)
		require.NotNil(t, files[0].Schema, "a later read with room completes it")
		require.EqualValues(t, 150, files[0].Schema.RowCount)
	})
}

func TestUnreadableFileIsRecordedNotFatal(t *testing.T) {
	onStores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		create(t, e, "bad")
		write(t, e, "bad", "broken.parquet", "PAR1 this is not parquet")
		write(t, e, "bad", "ok.csv", "x\n1\n")
		s := snapshot(t, e, "bad")
		files, err := e.catalog.SnapshotFiles(ctx, "bad", s)
		require.NoError(t, err)
		require.Len(t, files, 2)
		require.Contains(t, files[0].Error, "cannot read the file as parquet")
		require.NotContains(t, files[0].Error, "/", "no local paths leak")
		tables := tabular.Tables(files)
		require.Len(t, tables, 1)
		require.Equal(t, "ok", tables[0].Name)
	})
}

func TestDraftOnDemand(t *testing.T) {
	onStores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		create(t, e, "d")
		st, err := e.catalog.At(ctx, "d", "draft")
		require.NoError(t, err)
		require.Empty(t, st.Files, "a new dataset's draft is empty")

		write(t, e, "d", "a.csv", "k,v\n1,2\n")
		snapshot(t, e, "d")
		write(t, e, "d", "b.jsonl", "{\"k\": 1}\n{\"k\": 2}\n{\"k\": null}\n")
		require.NoError(t, e.engine.DeleteFile(ctx, "d", "a.csv", false))

		st, err = e.catalog.At(ctx, "d", "draft")
		require.NoError(t, err)
		require.Nil(t, st.Snapshot)
		require.Len(t, st.Files, 1)
		require.Equal(t, "b.jsonl", st.Files[0].Path)
		require.EqualValues(t, 3, st.Files[0].Schema.RowCount)
		require.EqualValues(t, 1, st.Files[0].Schema.Columns[0].Stats.NullCount)

		latest, err := e.catalog.At(ctx, "d", "")
		require.NoError(t, err)
		require.Equal(t, "a.csv", latest.Files[0].Path, "the latest snapshot still has a.csv")
	})
}

func TestLocatorCacheIsBounded(t *testing.T) {
	onStores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		create(t, e, "c")
		write(t, e, "c", "a.csv", "a\n1\n")
		write(t, e, "c", "b.csv", "b\n22\n")
		loc, err := tabular.NewLocator(e.engine.Blobs(), filepath.Join(t.TempDir(), "c"), 5)
		require.NoError(t, err)
		for _, p := range []string{"a.csv", "b.csv"} {
			fi, err := e.engine.StatFile(ctx, "c", "draft", p)
			require.NoError(t, err)
			path, release, err := loc.Path(ctx, fi.Digest, fi.Size)
			require.NoError(t, err)
			require.FileExists(t, path)
			release()
		}
		if _, local := e.engine.Blobs().(blob.LocalFiler); local {
			require.Zero(t, loc.CachedBytes(), "the fs store's files are read in place")
			return
		}
		require.LessOrEqual(t, loc.CachedBytes(), int64(5), "copies beyond the bound were evicted")
	})
}
