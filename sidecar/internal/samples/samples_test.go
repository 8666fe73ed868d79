package samples

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/datasets"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/dataset"
)

func TestImportOnce(t *testing.T) {
	ctx := context.Background()
	store, err := fs.New(t.TempDir())
	require.NoError(t, err)
	engine := dataset.New(store)
	log := slog.New(slog.DiscardHandler)

	ids, err := ImportOnce(ctx, engine, store, datasets.FS, "0.1.0", log)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"iris", "penguins", "wine", "seattle-weather", "sample-images"}, ids)
	for _, id := range ids {
		d, err := engine.GetDataset(ctx, id)
		require.NoError(t, err, id)
		assert.Equal(t, int64(1), d.SnapshotCount, id)
		assert.NotEmpty(t, d.Description, id)
		assert.Equal(t, "kamld-samples", d.Owner, id)
		assert.Positive(t, d.Stats.FileCount, id)
	}
	iris, err := engine.StatFile(ctx, "iris", "v1", "iris.csv")
	require.NoError(t, err)
	assert.Equal(t, int64(3870), iris.Size)

	// A deleted sample does not come back: the import happens once per store.
	require.NoError(t, engine.DeleteDataset(ctx, "wine", ""))
	again, err := ImportOnce(ctx, engine, store, datasets.FS, "0.1.0", log)
	require.NoError(t, err)
	assert.Empty(t, again)
	_, err = engine.GetDataset(ctx, "wine")
	assert.Error(t, err)
}

func TestUserDatasetWithASampleNameIsLeftAlone(t *testing.T) {
	ctx := context.Background()
	store, err := fs.New(t.TempDir())
	require.NoError(t, err)
	engine := dataset.New(store)
	_, err = engine.CreateDataset(ctx, "iris", dataset.Metadata{Description: "mine"})
	require.NoError(t, err)
	ids, err := ImportOnce(ctx, engine, store, datasets.FS, "0.1.0", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	assert.NotContains(t, ids, "iris")
	d, err := engine.GetDataset(ctx, "iris")
	require.NoError(t, err)
	assert.Equal(t, "mine", d.Description)
	assert.Zero(t, d.SnapshotCount)
}
