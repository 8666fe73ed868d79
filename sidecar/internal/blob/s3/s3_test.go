// These tests run against a real MinIO server, never a mock. They need the pinned MinIO binary:
//
//	scripts/install-minio.sh      # once; builds it into ~/.cache/kamld/bin/minio (a few minutes cold)
//	go test ./sidecar/internal/blob/s3/
//
// Set KAMLD_MINIO_BIN to use another minio binary. Without the binary the tests FAIL (they do not skip), so
// a run that silently tested nothing cannot pass.
package s3_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	miniogo "github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/blobtest"
	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
)

func config(srv *minio.Server, bucket string) s3.Config {
	return s3.Config{Endpoint: srv.Endpoint, Bucket: bucket, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
}

func newStore(t *testing.T, cfg s3.Config, opts ...s3.Option) *s3.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := s3.New(ctx, cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func bucketName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "test-" + hex.EncodeToString(b)
}

func TestMain(m *testing.M) {
	code := m.Run()
	minio.StopShared()
	os.Exit(code)
}

func TestConformance(t *testing.T) {
	srv := minio.Shared(t) // a bucket of its own on the package's MinIO
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return newStore(t, config(srv, bucketName())) // a fresh bucket per test on one server
	}, blobtest.WithoutConditionalDelete())
}

func TestNewCreatesBucketAndReportsLocation(t *testing.T) {
	srv := minio.Shared(t) // a bucket of its own on the package's MinIO
	ctx := context.Background()
	cfg := config(srv, bucketName())
	s := newStore(t, cfg)
	require.NoError(t, s.Health(ctx))
	require.Equal(t, "s3", s.Name())
	require.Equal(t, "http://"+srv.Endpoint+"/"+cfg.Bucket+"/", s.Location())
	require.NotContains(t, s.Location(), srv.SecretKey)

	// Opening it again (another sidecar) finds the bucket and shares the objects.
	_, err := s.Put(ctx, "k", strings.NewReader("v"), blob.PutOptions{})
	require.NoError(t, err)
	again := newStore(t, cfg)
	_, err = again.Stat(ctx, "k")
	require.NoError(t, err)
}

func TestPrefixIsolatesStores(t *testing.T) {
	srv := minio.Shared(t) // a bucket of its own on the package's MinIO
	ctx := context.Background()
	bucket := bucketName()
	cfgA, cfgB := config(srv, bucket), config(srv, bucket)
	cfgA.Prefix, cfgB.Prefix = "team-a", "/team-b/"
	a, b := newStore(t, cfgA), newStore(t, cfgB)
	require.Contains(t, a.Location(), "/"+bucket+"/team-a/")

	_, err := a.Put(ctx, "x/1", strings.NewReader("a"), blob.PutOptions{})
	require.NoError(t, err)
	_, err = b.Put(ctx, "x/1", strings.NewReader("b"), blob.PutOptions{IfNoneMatch: true})
	require.NoError(t, err, "the same key under another prefix is another object")

	page, err := a.List(ctx, blob.ListOptions{})
	require.NoError(t, err)
	require.Len(t, page.Objects, 1)
	require.Equal(t, "x/1", page.Objects[0].Key, "keys are listed without the store's prefix")

	// The objects are where the prefix says, for other tools (a Trino table) to find.
	raw := rawClient(t, srv)
	_, err = raw.StatObject(ctx, bucket, "team-b/x/1", miniogo.StatObjectOptions{})
	require.NoError(t, err)
}

func TestListSkipsForeignKeys(t *testing.T) {
	// Another tool may create "folder/" markers or keys kamld could not name; listing skips them.
	srv := minio.Shared(t) // a bucket of its own on the package's MinIO
	ctx := context.Background()
	bucket := bucketName()
	s := newStore(t, config(srv, bucket))
	raw := rawClient(t, srv)
	for _, k := range []string{"folder/", "a/b", "deep/folder/"} {
		_, err := raw.PutObject(ctx, bucket, k, strings.NewReader(""), 0, miniogo.PutObjectOptions{})
		require.NoError(t, err, k)
	}
	page, err := s.List(ctx, blob.ListOptions{})
	require.NoError(t, err)
	var keys []string
	for _, o := range page.Objects {
		keys = append(keys, o.Key)
	}
	require.Equal(t, []string{"a/b"}, keys)
}

func TestPartSizeBoundsMemoryAndParts(t *testing.T) {
	// With the smallest part size, a 12 MiB object is a 3-part upload, and its ETag says so.
	srv := minio.Shared(t) // a bucket of its own on the package's MinIO
	ctx := context.Background()
	s := newStore(t, config(srv, bucketName()), s3.WithPartSize(1)) // raised to S3's 5 MiB minimum
	info, err := s.Put(ctx, "multi", io.LimitReader(zeros{}, 12<<20), blob.PutOptions{IfNoneMatch: true})
	require.NoError(t, err)
	require.EqualValues(t, 12<<20, info.Size)
	require.True(t, strings.HasSuffix(info.Version, "-3"), "version %q of a 3-part upload", info.Version)
	st, err := s.Stat(ctx, "multi")
	require.NoError(t, err)
	require.Equal(t, info.Version, st.Version)
}

func TestBadCredentials(t *testing.T) {
	srv := minio.Shared(t) // a bucket of its own on the package's MinIO
	cfg := config(srv, bucketName())
	cfg.SecretKey = "wrong-secret"
	_, err := s3.New(context.Background(), cfg)
	require.ErrorIs(t, err, apierr.ErrUnavailable)
	require.Contains(t, err.Error(), "credentials")
	require.NotContains(t, err.Error(), "wrong-secret")
}

func TestUnreachableEndpoint(t *testing.T) {
	// Nothing listens on port 1 of loopback.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := s3.New(ctx, s3.Config{Endpoint: "127.0.0.1:1", Bucket: "kamld", AccessKey: "a", SecretKey: "b"})
	require.ErrorIs(t, err, apierr.ErrUnavailable)
	require.Equal(t, codes.Unavailable, apierr.Code(err))
	require.Contains(t, err.Error(), "127.0.0.1:1")
}

// TestOutage stops MinIO under a store: Health and every operation answer ErrUnavailable with a message
// naming the endpoint, quickly; after MinIO restarts on the same port and data, the same store serves again
// and the data written before the outage is intact.
func TestOutage(t *testing.T) {
	srv := minio.Start(t)
	ctx := context.Background()
	s := newStore(t, config(srv, bucketName()))
	before, err := s.Put(ctx, "kept", strings.NewReader("written before the outage"), blob.PutOptions{})
	require.NoError(t, err)

	srv.Stop()

	checks := map[string]func() error{
		"health": func() error { return s.Health(ctx) },
		"put": func() error {
			_, err := s.Put(ctx, "new", strings.NewReader("x"), blob.PutOptions{})
			return err
		},
		"put large": func() error {
			_, err := s.Put(ctx, "new-large", io.LimitReader(zeros{}, 20<<20), blob.PutOptions{})
			return err
		},
		"create-only put": func() error {
			_, err := s.Put(ctx, "new", strings.NewReader("x"), blob.PutOptions{IfNoneMatch: true})
			return err
		},
		"get": func() error {
			_, _, err := s.Get(ctx, "kept", blob.GetOptions{})
			return err
		},
		"stat": func() error {
			_, err := s.Stat(ctx, "kept")
			return err
		},
		"list": func() error {
			_, err := s.List(ctx, blob.ListOptions{})
			return err
		},
		"delete": func() error { return s.Delete(ctx, "kept", blob.DeleteOptions{}) },
	}
	for name, check := range checks {
		start := time.Now()
		err := check()
		took := time.Since(start)
		require.ErrorIs(t, err, apierr.ErrUnavailable, "%s while MinIO is down", name)
		require.Equal(t, codes.Unavailable, apierr.Code(err), name)
		require.Contains(t, err.Error(), srv.Endpoint, "%s: the message names the endpoint", name)
		require.Contains(t, err.Error(), "unreachable", name)
		assert.Less(t, took, 10*time.Second, "%s gives up promptly", name)
		t.Logf("%s: %v (after %s)", name, err, took.Round(time.Millisecond))
	}

	srv.Restart()

	require.NoError(t, s.Health(ctx), "health recovers without reopening the store")
	rc, info, err := s.Get(ctx, "kept", blob.GetOptions{})
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, rc.Close())
	require.NoError(t, err)
	require.Equal(t, "written before the outage", string(b))
	require.Equal(t, before.Version, info.Version)
	_, err = s.Put(ctx, "after", strings.NewReader("y"), blob.PutOptions{IfNoneMatch: true})
	require.NoError(t, err)
	_, err = s.Stat(ctx, "new")
	require.ErrorIs(t, err, apierr.ErrNotFound, "a put refused during the outage wrote nothing")
}

func rawClient(t *testing.T, srv *minio.Server) *miniogo.Client {
	c, err := miniogo.New(srv.Endpoint, &miniogo.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	require.NoError(t, err)
	return c
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
