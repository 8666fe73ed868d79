package fs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/blob"
)

// TestMoveEmptyingAFolderConcurrently: moves out of one folder, racing so that one of them prunes the folder
// the others have just renamed out of (with fsync on, they then sync that folder), as ingest's staging moves
// do. Every move succeeds and no temporary folder is left behind.
func TestMoveEmptyingAFolderConcurrently(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	ctx := context.Background()
	for round := range 150 {
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			src := fmt.Sprintf("stage/%d-%d", round, i)
			_, err := s.Put(ctx, src, strings.NewReader(src), blob.PutOptions{})
			require.NoError(t, err)
		}
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = s.Move(ctx, fmt.Sprintf("stage/%d-%d", round, i), fmt.Sprintf("blobs/%d-%d", round, i))
			})
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "round %d move %d", round, i)
		}
	}
	left, err := os.ReadDir(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	require.Empty(t, left)
	p, err := s.List(ctx, blob.ListOptions{Prefix: "blobs/"})
	require.NoError(t, err)
	require.Len(t, p.Objects, 600)
}
