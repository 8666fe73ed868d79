package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/blob"
)

// Batches committed while snapshots keep sealing the draft are never lost: each batch object lands in the
// generation a snapshot folds, or is written again into the next one. A single write after a batch wins
// over it, and a batch after a single write wins over that.
func TestBatchesRaceSnapshots(t *testing.T) {
	onStores(t, func(t *testing.T, store blob.Store) {
		ctx := context.Background()
		e := New(store)
		_, err := e.CreateDataset(ctx, "race", Metadata{})
		require.NoError(t, err)
		const batches, per = 12, 25
		stop := make(chan struct{})
		var snaps sync.WaitGroup
		snaps.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = e.CreateSnapshot(ctx, "race", SnapshotOptions{Message: "tick", AllowEmpty: true})
			}
		})
		var wg sync.WaitGroup
		errs := make([]error, batches)
		for k := range batches {
			wg.Go(func() {
				b, err := e.NewBatch(ctx, "race")
				if err != nil {
					errs[k] = err
					return
				}
				for j := range per {
					b.Add(BatchFile{Path: fmt.Sprintf("b%02d/f%02d", k, j), Content: fmt.Appendf(nil, "%d-%d", k, j)})
				}
				_, errs[k] = b.Commit(ctx)
			})
		}
		wg.Wait()
		close(stop)
		snaps.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		s, err := e.CreateSnapshot(ctx, "race", SnapshotOptions{Message: "last", AllowEmpty: true})
		require.NoError(t, err)
		assert.EqualValues(t, batches*per, s.Stats.FileCount)

		_, err = e.WriteFile(ctx, "race", "b00/f00", strings.NewReader("single"), WriteOptions{})
		require.NoError(t, err)
		assertDraftHas(t, e, "b00/f00", "single")
		b, err := e.NewBatch(ctx, "race")
		require.NoError(t, err)
		b.Add(BatchFile{Path: "b00/f00", Content: []byte("batch")})
		_, err = b.Commit(ctx)
		require.NoError(t, err)
		assertDraftHas(t, e, "b00/f00", "batch")
	})
}

func assertDraftHas(t *testing.T, e *Engine, path, content string) {
	t.Helper()
	info, err := e.StatFile(context.Background(), "race", "draft", path)
	require.NoError(t, err)
	assert.Equal(t, int64(len(content)), info.Size)
	sum := sha256.Sum256([]byte(content))
	assert.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), info.Digest)
}
