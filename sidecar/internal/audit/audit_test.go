package audit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/audit"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
)

// stores are the blob stores the audit log must work on: the local directory and a real MinIO.
func stores(t *testing.T) map[string]func(t *testing.T) blob.Store {
	srv := minio.Start(t)
	return map[string]func(t *testing.T) blob.Store{
		"fs": func(t *testing.T) blob.Store {
			s, err := fs.New(t.TempDir())
			require.NoError(t, err)
			return s
		},
		"minio": func(t *testing.T) blob.Store {
			b := make([]byte, 6)
			_, _ = rand.Read(b)
			s, err := s3.New(context.Background(), s3.Config{Endpoint: srv.Endpoint, Bucket: "audit-" + hex.EncodeToString(b), AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
}

func TestAuditLog(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("ConcurrentWritesAreAllDurableInImmutableSegments", func(t *testing.T) { testConcurrent(t, newStore(t)) })
			t.Run("KeptAcrossRestarts", func(t *testing.T) { testRestart(t, newStore(t)) })
			t.Run("FiltersAndPages", func(t *testing.T) { testQuery(t, newStore(t)) })
		})
	}
}

func testConcurrent(t *testing.T, store blob.Store) {
	ctx := context.Background()
	l := audit.New(store)
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, l.Write(ctx, audit.Record{Subject: fmt.Sprintf("u%02d", i), Method: "/m", Outcome: "OK"}))
		}()
	}
	wg.Wait()
	recs, next, err := l.List(ctx, audit.Query{PageSize: 1000})
	require.NoError(t, err)
	assert.Empty(t, next)
	assert.Len(t, recs, 60, "every confirmed record is stored, once")
	seen := map[string]bool{}
	for _, r := range recs {
		assert.False(t, seen[r.Subject], r.Subject)
		seen[r.Subject] = true
	}
	page, err := store.List(ctx, blob.ListOptions{Prefix: audit.Prefix})
	require.NoError(t, err)
	assert.LessOrEqual(t, len(page.Objects), 60)
	for _, o := range page.Objects {
		_, err := store.Put(ctx, o.Key, strings.NewReader("x"), blob.PutOptions{IfNoneMatch: true})
		assert.ErrorIs(t, err, apierr.ErrAlreadyExists, "segments are created once and never rewritten")
	}
}

func testRestart(t *testing.T, store blob.Store) {
	ctx := context.Background()
	require.NoError(t, audit.New(store).Write(ctx, audit.Record{Subject: "before", Method: "/m", Outcome: "OK"}))
	again := audit.New(store) // a new process on the same store
	require.NoError(t, again.Write(ctx, audit.Record{Subject: "after", Method: "/m", Outcome: "OK"}))
	recs, _, err := again.List(ctx, audit.Query{PageSize: 10})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, []string{"before", "after"}, []string{recs[0].Subject, recs[1].Subject})
}

func testQuery(t *testing.T, store blob.Store) {
	ctx := context.Background()
	l := audit.New(store)
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	for i := range 30 {
		who := []string{"alice", "bob"}[i%2]
		outcome := "OK"
		if i%3 == 0 {
			outcome = "PERMISSION_DENIED"
		}
		require.NoError(t, l.Write(ctx, audit.Record{Time: base.Add(time.Duration(i) * time.Minute), Subject: who,
			Method: "/kamld.v1.DatasetService/UpdateDataset", Resource: fmt.Sprintf("ds%d", i%5), Outcome: outcome}))
	}
	all := collect(t, l, audit.Query{PageSize: 7})
	assert.Len(t, all, 30, "paging returns every record once")
	for i := 1; i < len(all); i++ {
		assert.False(t, all[i].Time.Before(all[i-1].Time), "oldest first")
	}
	assert.Len(t, collect(t, l, audit.Query{Subject: "alice", PageSize: 4}), 15)
	assert.Len(t, collect(t, l, audit.Query{Dataset: "ds0", PageSize: 4}), 6)
	assert.Len(t, collect(t, l, audit.Query{Outcome: "PERMISSION_DENIED", PageSize: 3}), 10)
	assert.Len(t, collect(t, l, audit.Query{Method: "UpdateDataset", PageSize: 50}), 30)
	assert.Empty(t, collect(t, l, audit.Query{Method: "Dataset", PageSize: 50}), "a method matches whole, not by substring")
	window := collect(t, l, audit.Query{Since: base.Add(10 * time.Minute), Until: base.Add(20 * time.Minute), PageSize: 4})
	require.Len(t, window, 10)
	assert.Equal(t, base.Add(10*time.Minute), window[0].Time)

	_, next, err := l.List(ctx, audit.Query{Subject: "alice", PageSize: 2})
	require.NoError(t, err)
	_, _, err = l.List(ctx, audit.Query{Subject: "bob", PageSize: 2, PageToken: next})
	assert.ErrorIs(t, err, audit.ErrBadPageToken, "a token belongs to its query")
	_, _, err = l.List(ctx, audit.Query{PageSize: 2, PageToken: "not-a-token"})
	assert.ErrorIs(t, err, audit.ErrBadPageToken)
}

func collect(t *testing.T, l *audit.Log, q audit.Query) []audit.Record {
	t.Helper()
	var out []audit.Record
	for range 100 {
		recs, next, err := l.List(context.Background(), q)
		require.NoError(t, err)
		out = append(out, recs...)
		if next == "" {
			return out
		}
		q.PageToken = next
	}
	t.Fatal("paging did not end")
	return nil
}

func TestDeniedMarksTheCall(t *testing.T) {
	audit.Denied(context.Background(), "x") // outside a call: nothing happens
	ctx, call := audit.WithCall(context.Background())
	denied, _ := call.IsDenied()
	assert.False(t, denied)
	audit.Denied(ctx, "secret-ds")
	denied, res := call.IsDenied()
	assert.True(t, denied)
	assert.Equal(t, "secret-ds", res)
}
