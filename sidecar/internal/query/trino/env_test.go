package trino

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	_ "github.com/trinodb/trino-go-client/trino" // the "trino" database/sql driver

	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/tabular"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
	trinoserver "github.com/kamld/kamld/sidecar/internal/testserver/trino"
)

// env is a real MinIO holding a kamld store (bucket "kamld", prefix "data") and a real Trino whose catalog
// "kamld" reads it, with its file metastore in another bucket.
type env struct {
	store  *s3.Store
	engine *dataset.Engine
	tables *tabular.Catalog // schemas extracted by DuckDB, as the sidecar has them
	trino  *trinoserver.Server
	db     *sql.DB
	root   string // s3:// URL of the store's bucket and prefix
	s3cfg  s3.Config
}

const testCatalog = "kamld"

// startEnv starts both servers; they stop when t ends. Trino takes ~20 s to start, so tests share one env
// through subtests.
func startEnv(t testing.TB) *env {
	t.Helper()
	if _, _, err := trinoserver.Installation(); err != nil && os.Getenv("CI") != "true" {
		t.Skip(err) // before starting MinIO for nothing
	}
	m := minio.Start(t)
	ctx := context.Background()
	cfg := s3.Config{Endpoint: m.Endpoint, Region: "us-east-1", Bucket: "kamld", Prefix: "data", AccessKey: m.AccessKey, SecretKey: m.SecretKey}
	store, err := s3.New(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	// The metastore's bucket; s3.New creates it.
	metaCfg := cfg
	metaCfg.Bucket, metaCfg.Prefix = "trino-metastore", ""
	meta, err := s3.New(ctx, metaCfg)
	require.NoError(t, err)
	_ = meta.Close()

	ts := trinoserver.Start(t, trinoserver.HiveOnS3(testCatalog, m.Endpoint, m.AccessKey, m.SecretKey, "s3://trino-metastore/catalog"))
	db, err := sql.Open("trino", "http://kamld@"+strings.TrimPrefix(ts.URL, "http://")+"?catalog="+testCatalog)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	loc, err := tabular.NewLocator(store, filepath.Join(t.TempDir(), "cache"), 0)
	require.NoError(t, err)
	duck, err := tabular.OpenDuckDB(ctx, tabular.DuckOptions{ReadDirs: loc.Dirs(), MemoryLimit: "256MB", Threads: 1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = duck.Close() })
	engine := dataset.New(store)
	return &env{store: store, engine: engine, tables: tabular.NewCatalog(engine, tabular.NewExtractor(duck, loc)),
		trino: ts, db: db, root: "s3://kamld/data", s3cfg: cfg}
}

func (e *env) registrar() *Registrar {
	return NewRegistrar(e.db, testCatalog, e.root, slog.New(slog.DiscardHandler))
}

// sample reads a file of the repository's sample datasets.
func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "datasets", name))
	require.NoError(t, err)
	return b
}

// write writes a file into a dataset's draft and returns its digest.
func (e *env) write(t testing.TB, ds, path string, content []byte) string {
	t.Helper()
	fi, err := e.engine.WriteFile(context.Background(), ds, path, bytes.NewReader(content), dataset.WriteOptions{})
	require.NoError(t, err)
	return fi.Digest
}

// storeUsage counts the store's objects and bytes, in all and under blobs/ (file contents).
type storeUsage struct{ objects, bytes, blobObjects, blobBytes int64 }

func (e *env) usage(t *testing.T) storeUsage {
	t.Helper()
	var u storeUsage
	after := ""
	for {
		page, err := e.store.List(context.Background(), blob.ListOptions{StartAfter: after})
		require.NoError(t, err)
		for _, o := range page.Objects {
			u.objects++
			u.bytes += o.Size
			if len(o.Key) > 6 && o.Key[:6] == "blobs/" {
				u.blobObjects++
				u.blobBytes += o.Size
			}
			after = o.Key
		}
		if !page.More {
			return u
		}
	}
}

// freshStore is a store of its own (another prefix of the bucket) and an engine reading it.
func (e *env) freshStore(t *testing.T, prefix string) (*s3.Store, *Engine) {
	t.Helper()
	cfg := e.s3cfg
	cfg.Prefix = prefix
	store, err := s3.New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	eng, err := New(Config{URL: e.trino.URL, Catalog: testCatalog, StoreRoot: "s3://" + cfg.Bucket + "/" + prefix}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	return store, eng
}
