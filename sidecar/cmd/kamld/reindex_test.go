package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/bleve"
)

func TestReindexCommand(t *testing.T) {
	dir := t.TempDir()
	store, err := fs.New(filepath.Join(dir, "store"))
	require.NoError(t, err)
	engine := dataset.New(store) // no observer: the index knows nothing of these
	for _, id := range []string{"alpha", "beta"} {
		_, err := engine.CreateDataset(context.Background(), id, dataset.Metadata{Tags: []string{"reindexed"}})
		require.NoError(t, err)
	}
	out, err := kamld(t, nil, "reindex", "--data-dir", dir)
	require.NoError(t, err, out)
	assert.Contains(t, out, "reindexed 2 datasets into bleve")

	ix, err := bleve.New(filepath.Join(dir, "index"))
	require.NoError(t, err)
	defer ix.Close()
	res, err := ix.Search(context.Background(), &index.Request{PageSize: 10, Sort: index.Sort{By: index.ByName}})
	require.NoError(t, err)
	require.Len(t, res.Hits, 2)
	assert.Equal(t, "alpha", res.Hits[0].Doc.ID)

	// While another process holds the embedded index, reindex says so instead of hanging.
	out, err = kamld(t, nil, "reindex", "--data-dir", dir)
	require.Error(t, err, out)
	assert.Contains(t, err.Error(), "another kamld")
}
