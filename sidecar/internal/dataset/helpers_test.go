package dataset

// Tests run on the fs store always and on a real MinIO server (never a mock). MinIO needs the pinned binary
// (scripts/install-minio.sh, or KAMLD_MINIO_BIN); without it these tests FAIL, they do not skip.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
)

func newFS(t testing.TB, dir string) blob.Store {
	t.Helper()
	s, err := fs.New(dir, fs.WithFsync(false))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newS3(t testing.TB, srv *minio.Server) blob.Store {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return openS3(t, srv, "ds-"+hex.EncodeToString(b))
}

func openS3(t testing.TB, srv *minio.Server, bucket string) blob.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := s3.New(ctx, s3.Config{Endpoint: srv.Endpoint, Bucket: bucket, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// onStores runs fn as a subtest on a fresh fs store and on a fresh bucket of a real MinIO (one MinIO for the
// package: each test has a bucket of its own). The two subtests run side by side: they share nothing, and
// many of them wait (grace periods, racing writers) far more than they compute.
func onStores(t *testing.T, fn func(t *testing.T, store blob.Store)) {
	t.Run("fs", func(t *testing.T) { t.Parallel(); fn(t, newFS(t, t.TempDir())) })
	t.Run("minio", func(t *testing.T) { t.Parallel(); fn(t, newS3(t, minio.Shared(t))) })
}

// onSharedStores is onStores for tests of several sidecars: open returns a new client (its own fs.Store with
// its own lock descriptors, or its own minio-go client) on the same storage each time it is called.
func onSharedStores(t *testing.T, fn func(t *testing.T, open func() blob.Store)) {
	t.Run("fs", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		fn(t, func() blob.Store { return newFS(t, dir) })
	})
	t.Run("minio", func(t *testing.T) {
		t.Parallel()
		srv := minio.Shared(t)
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		bucket := "ds-" + hex.EncodeToString(b)
		fn(t, func() blob.Store { return openS3(t, srv, bucket) })
	})
}

func isCode(err, sentinel error) bool { return errors.Is(err, sentinel) }

func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var ae *apierr.Error
	require.True(t, errors.As(err, &ae), "want an InvalidArgument on %s, got %v", field, err)
	require.NotEmpty(t, ae.Violations)
	require.Equal(t, field, ae.Violations[0].Field, "%v", err)
}

func TestMain(m *testing.M) {
	if helper := os.Getenv(envCrashHelper); helper != "" {
		runCrashHelper(helper)
		return
	}
	if n, err := strconv.ParseInt(os.Getenv("KAMLD_TEST_DRAFT_INDEX_BYTES"), 10, 64); err == nil && n > 0 {
		defaultIndexBytes = n // every engine checkpoints its drafts this often (draftindex.go)
	}
	code := m.Run()
	minio.StopShared()
	cleanupBench()
	os.Exit(code)
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
