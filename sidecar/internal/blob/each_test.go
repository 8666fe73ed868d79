package blob_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
)

func TestEachWalksEveryPageAndStopsAtAnError(t *testing.T) {
	s, err := fs.New(t.TempDir())
	require.NoError(t, err)
	ctx := context.Background()
	n := blob.MaxListLimit + 5 // more than one page
	for i := range n {
		_, err := s.Put(ctx, fmt.Sprintf("a/%05d", i), strings.NewReader(""), blob.PutOptions{})
		require.NoError(t, err)
	}
	_, err = s.Put(ctx, "b/other", strings.NewReader(""), blob.PutOptions{})
	require.NoError(t, err)
	var keys []string
	require.NoError(t, blob.Each(ctx, s, "a/", func(o blob.Info) error { keys = append(keys, o.Key); return nil }))
	assert.Len(t, keys, n)
	assert.Equal(t, "a/00000", keys[0])

	stop := errors.New("stop")
	seen := 0
	err = blob.Each(ctx, s, "a/", func(blob.Info) error {
		seen++
		if seen == 3 {
			return stop
		}
		return nil
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 3, seen)
}
