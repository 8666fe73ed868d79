package server_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/testserver/elasticsearch"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
	trinoserver "github.com/kamld/kamld/sidecar/internal/testserver/trino"
)

// TestAccessSuite_MinIOElasticsearchTrino runs the access-control suite on the at-scale backends: the store
// on a real MinIO, the index on a real Elasticsearch (the filter inside its query), SQL on a real Trino.
func TestAccessSuite_MinIOElasticsearchTrino(t *testing.T) {
	if _, _, err := trinoserver.Installation(); err != nil && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	waitES := elasticsearch.Background(t) // the two JVMs start side by side
	m := minio.Start(t)
	meta, err := s3.New(context.Background(), s3.Config{Endpoint: m.Endpoint, Region: "us-east-1", Bucket: "trino-metastore", AccessKey: m.AccessKey, SecretKey: m.SecretKey})
	require.NoError(t, err) // creates the metastore's bucket
	_ = meta.Close()
	tr := trinoserver.Start(t, trinoserver.HiveOnS3("kamld", m.Endpoint, m.AccessKey, m.SecretKey, "s3://trino-metastore/catalog"))
	es := waitES()
	s := startAccessSidecar(t, func(c *config.Config) {
		c.Blob.Backend = "s3"
		c.Blob.S3 = config.S3{Endpoint: m.Endpoint, Bucket: "kamld", Region: "us-east-1", AccessKey: m.AccessKey, SecretKey: config.Secret(m.SecretKey)}
		c.Index.Backend = "elasticsearch"
		c.Index.Elastic.URLs = []string{es.URL()}
		c.SQL.Backend = "trino"
		c.SQL.Trino.URL = tr.URL
	})
	runAccessSuite(t, s)
}
