package dataset

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/access"
)

func recordIDs(t *testing.T, e *Engine, ctx context.Context) []string {
	t.Helper()
	recs, err := e.ListRecords(ctx)
	require.NoError(t, err)
	ids := []string{}
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	return ids
}

// TestListRecordsFollowsTheStore: a second engine on the same store (another sidecar) sees creates, updates
// and deletes made by the first on its next call, though it caches the records it read; unreadable datasets
// are left out.
func TestListRecordsFollowsTheStore(t *testing.T) {
	store := newFS(t, t.TempDir())
	writer, reader := New(store), New(store)
	ctx := context.Background()
	for _, id := range []string{"b", "a"} {
		_, err := writer.CreateDataset(ctx, id, Metadata{Owner: "alice"})
		require.NoError(t, err)
	}
	require.Equal(t, []string{"a", "b"}, recordIDs(t, reader, ctx))

	_, err := writer.CreateDataset(ctx, "c", Metadata{Owner: "alice"})
	require.NoError(t, err)
	_, err = writer.UpdateDataset(ctx, "a", Metadata{Owner: "carol"}, []string{FieldOwner}, "")
	require.NoError(t, err)
	require.NoError(t, writer.DeleteDataset(ctx, "b", ""))
	recs, err := reader.ListRecords(ctx)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Equal(t, "a", recs[0].ID)
	require.Equal(t, "carol", recs[0].Owner, "a changed record is read again")
	require.Equal(t, "c", recs[1].ID, "a new record is read, a deleted one left out")

	_, err = writer.CreateDataset(as("alice"), "secret", Metadata{Owner: "alice", Visibility: access.Private})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "c"}, recordIDs(t, reader, as("bob")), "bob cannot read alice's private dataset")
	require.Equal(t, []string{"a", "c", "secret"}, recordIDs(t, reader, as("alice")))
}
