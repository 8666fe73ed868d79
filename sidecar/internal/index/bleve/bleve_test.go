package bleve

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/indextest"
)

func TestConformance(t *testing.T) {
	indextest.Run(t, func(t *testing.T) index.Index {
		ix, err := New(t.TempDir())
		require.NoError(t, err)
		t.Cleanup(func() { _ = ix.Close() })
		return ix
	})
}

func TestReopenKeepsTheSwappedGeneration(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	ix, err := New(dir)
	require.NoError(t, err)
	require.NoError(t, ix.Upsert(ctx, indextest.Corpus()...))
	require.NoError(t, ix.Rebuild(ctx, func(ctx context.Context, w index.Writer) error {
		return w.Upsert(ctx, indextest.Corpus()[:2]...)
	}))
	require.NoError(t, ix.Close())

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"CURRENT", "gen-2"}, names, "the previous generation is removed")

	ix, err = New(dir)
	require.NoError(t, err)
	defer ix.Close()
	res, err := ix.Search(ctx, &index.Request{PageSize: 10})
	require.NoError(t, err)
	assert.EqualValues(t, 2, res.Total)
}

func TestSecondOpenFailsClearly(t *testing.T) {
	dir := t.TempDir()
	ix, err := New(dir)
	require.NoError(t, err)
	defer ix.Close()
	_, err = New(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another kamld")
}

func TestClosedIsUnavailable(t *testing.T) {
	ix, err := New(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, ix.Close())
	_, err = ix.Search(t.Context(), &index.Request{PageSize: 1})
	assert.ErrorIs(t, err, apierr.ErrUnavailable)
	assert.ErrorIs(t, ix.Health(t.Context()), apierr.ErrUnavailable)
	assert.ErrorIs(t, ix.Upsert(t.Context(), indextest.Corpus()...), apierr.ErrUnavailable)
}
