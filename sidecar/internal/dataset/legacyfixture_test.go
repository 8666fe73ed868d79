package dataset

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// legacyFixture is a store written by kamld before branches existed (commit 166ccec), kept as files so the
// test reads exactly what that code wrote: dataset "iris" with v1, v2 (v1 tagged "first"), and a draft that
// adds b.csv and deletes a.csv. TestWriteLegacyFixture rewrites it with whatever code is current; it ran
// once, with the code before branches, and must not run again (it is skipped unless asked for).
const legacyFixture = "testdata/legacy-store"

func TestWriteLegacyFixture(t *testing.T) {
	if os.Getenv("KAMLD_WRITE_LEGACY_FIXTURE") == "" {
		t.Skip("writes testdata/legacy-store; only with the code before branches (KAMLD_WRITE_LEGACY_FIXTURE=1)")
	}
	require.NoError(t, os.RemoveAll(legacyFixture))
	ctx := context.Background()
	clock := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	e := New(newFS(t, legacyFixture), WithClock(func() time.Time { clock = clock.Add(time.Second); return clock }))
	_, err := e.CreateDataset(ctx, "iris", Metadata{Description: "legacy"})
	require.NoError(t, err)
	write := func(p, s string) {
		_, err := e.WriteFile(ctx, "iris", p, strings.NewReader(s), WriteOptions{})
		require.NoError(t, err)
	}
	write("a.csv", "a,1\n")
	_, err = e.CreateSnapshot(ctx, "iris", SnapshotOptions{Message: "one"})
	require.NoError(t, err)
	_, err = e.CreateTag(ctx, "iris", "first", "v1", "", false)
	require.NoError(t, err)
	write("a.csv", "a,2\n")
	_, err = e.CreateSnapshot(ctx, "iris", SnapshotOptions{Message: "two"})
	require.NoError(t, err)
	write("b.csv", "b,1\n")
	require.NoError(t, e.DeleteFile(ctx, "iris", "a.csv", false))
}
