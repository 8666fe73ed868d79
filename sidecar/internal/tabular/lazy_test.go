package tabular_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/tabular"
)

func TestLazyDBOpensOnUseAndClosesWhenIdle(t *testing.T) {
	ctx := context.Background()
	l := tabular.NewLazyDB(tabular.DuckOptions{ReadDirs: []string{t.TempDir()}, Threads: 1}, 50*time.Millisecond)
	defer l.Close()
	assert.False(t, l.Opened(), "nothing opens before the first use")
	db, none := l.AcquireOpened()
	none()
	assert.Nil(t, db, "AcquireOpened opens nothing")

	db, release, err := l.Acquire(ctx)
	require.NoError(t, err)
	var one int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT 1").Scan(&one))
	time.Sleep(150 * time.Millisecond)
	assert.True(t, l.Opened(), "a database in use is not closed however long it is held")
	require.NoError(t, db.QueryRowContext(ctx, "SELECT 1").Scan(&one))
	release()
	release() // idempotent: does not count a second user out
	require.Eventually(t, func() bool { return !l.Opened() }, 5*time.Second, 10*time.Millisecond, "closed once idle")

	db2, release2, err := l.Acquire(ctx)
	require.NoError(t, err, "reopens on the next use")
	defer release2()
	require.NoError(t, db2.QueryRowContext(ctx, "SELECT 1").Scan(&one))
	assert.Equal(t, 1, one)
}

func TestLazyDBUsedAgainBeforeTheIdlePeriodStaysOpen(t *testing.T) {
	ctx := context.Background()
	l := tabular.NewLazyDB(tabular.DuckOptions{ReadDirs: []string{t.TempDir()}, Threads: 1}, time.Second)
	defer l.Close()
	start := time.Now()
	for time.Since(start) < 1500*time.Millisecond {
		db, release, err := l.Acquire(ctx)
		require.NoError(t, err)
		release()
		time.Sleep(20 * time.Millisecond)
		again, release, err := l.Acquire(ctx)
		require.NoError(t, err)
		release()
		require.Same(t, db, again, "uses closer together than the idle period keep the same database open")
	}
}

func TestLazyDBOpenFailureIsTheCallersErrorAndIsRetried(t *testing.T) {
	l := tabular.NewLazyDB(tabular.DuckOptions{ReadDirs: []string{t.TempDir()}, MemoryLimit: "a lot"}, time.Minute)
	defer l.Close()
	for range 2 { // not remembered: each use tries again
		db, release, err := l.Acquire(context.Background())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "memory", "DuckDB's reason is kept")
		assert.Nil(t, db)
		assert.Nil(t, release)
		assert.False(t, l.Opened())
	}
}
