package wiring

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
)

func TestTrinoNeedsTheS3Store(t *testing.T) {
	c := config.Default()
	c.Blob.FS.Dir = t.TempDir()
	c.DataDir = t.TempDir()
	c.SQL.Backend = "trino"
	c.SQL.Trino.URL = "http://127.0.0.1:1"
	_, err := Build(c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "blob.backend to s3")
	assert.Contains(t, Names("sql"), "trino")
}

func TestTrinoOnS3BuildsAQueryEngine(t *testing.T) {
	m := minio.Start(t)
	c := config.Default()
	c.DataDir = t.TempDir()
	c.Blob.Backend = "s3"
	c.Blob.S3 = config.S3{Endpoint: m.Endpoint, Bucket: "kamld", Prefix: "/data/", Region: "us-east-1", AccessKey: m.AccessKey, SecretKey: config.Secret(m.SecretKey)}
	c.SQL.Backend = "trino"
	c.SQL.Trino.URL = "http://127.0.0.1:1" // nothing there: built lazily, reported unhealthy
	set, err := Build(c)
	require.NoError(t, err)
	b := set.Get(backend.SQL)
	_, ok := b.(query.Engine)
	require.True(t, ok)
	assert.Equal(t, "trino", b.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	assert.Equal(t, codes.Unavailable, apierr.Code(b.Health(ctx)))
}
