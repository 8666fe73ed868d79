package dataset

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// Bodies at and around the small-body cut are stored whole, under their own digest, with no staging object
// left; a wrong size is refused on either side of the cut and commits no blob.
func TestIngestSmallBodyCut(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store)
		_, err := e.CreateDataset(ctx, "cut", Metadata{})
		require.NoError(t, err)
		for _, size := range []int{0, 1, smallBody - 1, smallBody, smallBody + 1, 3*smallBody + 5} {
			data := make([]byte, size)
			_, _ = rand.Read(data)
			fi, err := e.WriteFile(ctx, "cut", "f", bytes.NewReader(data), WriteOptions{})
			require.NoError(t, err, size)
			require.Equal(t, digestOf(string(data)), fi.Digest, size)
			require.Equal(t, string(data), read(t, e, "cut", "draft", "f"), size)

			if size == 0 {
				continue // an expected size of 0 is "unknown"
			}
			other := append(bytes.Clone(data), 'x')
			_, err = e.WriteFile(ctx, "cut", "g", bytes.NewReader(other), WriteOptions{ExpectedSize: int64(size)})
			require.ErrorIs(t, err, apierr.ErrDataLoss, size)
			_, err = store.Stat(ctx, BlobKey(digestOf(string(other))))
			require.ErrorIs(t, err, apierr.ErrNotFound, "a refused write stores no blob (%d bytes)", size)
		}
		staged, err := store.List(ctx, blob.ListOptions{Prefix: uploadPrefix})
		require.NoError(t, err)
		require.Empty(t, staged.Objects, "no staging object left")
	})
}
