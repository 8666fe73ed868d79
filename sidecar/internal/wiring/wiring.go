// Package wiring builds the backend for each capability from configuration. It is the only place that knows
// every backend: one factory table per capability, keyed by the configured backend name, embedded default
// first. Adding a backend means adding a row here; the server does not change.
package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/local"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/index/bleve"
	"github.com/kamld/kamld/sidecar/internal/index/elastic"
	"github.com/kamld/kamld/sidecar/internal/observe/instrument"
	"github.com/kamld/kamld/sidecar/internal/query/duckdb"
	"github.com/kamld/kamld/sidecar/internal/query/trino"
)

// factory builds one backend from the whole configuration and the backends built before it (capabilities
// are built in backend.Capabilities order: compute comes after the blob store it moves data through).
type factory func(c config.Config, built map[string]backend.Backend) (backend.Backend, error)

type entry struct {
	name string
	new  factory
}

// factories lists, per capability, the known backends; the first is the embedded default.
var factories = map[string][]entry{
	backend.Blob: blobEntries(), // the table lives in blobwiring, which the in-pod helper shares
	backend.Index: {
		{"bleve", newBleve},
		{elastic.Name, newElastic},
	},
	backend.SQL:     {{"duckdb", newDuckDB}, {"trino", newTrino}},
	backend.Compute: {{"local", newLocal}, {"kubernetes", newKubernetes}},
}

// newBleve opens the embedded index, by default in DATA_DIR/index.
func newBleve(c config.Config, _ map[string]backend.Backend) (backend.Backend, error) {
	dir := c.Index.Bleve.Dir
	if dir == "" {
		if c.DataDir == "" {
			return nil, errors.New("index.bleve.dir: no directory configured (set it or data_dir)")
		}
		dir = filepath.Join(c.DataDir, "index")
	}
	return bleve.New(dir)
}

// newElastic returns the Elasticsearch index. It does not contact the cluster: the sidecar starts while
// Elasticsearch is down (writes still succeed, search answers UNAVAILABLE, /readyz says why).
func newElastic(c config.Config, _ map[string]backend.Backend) (backend.Backend, error) {
	return elastic.New(elastic.Config{
		URLs:     c.Index.Elastic.URLs,
		Alias:    c.Index.Elastic.Index,
		Username: c.Index.Elastic.Username,
		Password: c.Index.Elastic.Password.Value(),
	})
}

// newDuckDB opens the in-process query engine on the blob store, caching remote blobs under the data dir.
func newDuckDB(c config.Config, built map[string]backend.Backend) (backend.Backend, error) {
	store, ok := built[backend.Blob].(blob.Store)
	if !ok {
		return nil, errors.New("needs a blob store")
	}
	return duckdb.Open(context.Background(), store, filepath.Join(c.DataDir, "cache", "duckdb"), c.SQL.DuckDB)
}

// newLocal runs jobs as processes of this machine; inputs and outputs move through the blob store's datasets.
func newLocal(c config.Config, built map[string]backend.Backend) (backend.Backend, error) {
	store, ok := built[backend.Blob].(blob.Store)
	if !ok {
		return nil, errors.New("the local compute backend needs a blob store")
	}
	dir := c.Compute.Local.Dir
	if dir == "" {
		dir = filepath.Join(c.DataDir, "compute")
	}
	opts := []local.Option{local.WithPython(c.Compute.Local.Python)}
	switch {
	case c.Compute.Local.RunAs != "":
		r, err := local.ParseRunAs(c.Compute.Local.RunAs)
		if err != nil {
			return nil, fmt.Errorf("compute.local.run_as: %w", err)
		}
		opts = append(opts, local.WithRunAs(r))
	case c.Auth.Mode == config.ModeShared:
		// A run as the sidecar's own user could read its token file, its data directory and the store's files.
		return nil, errors.New("auth.mode shared with compute.backend local needs compute.local.run_as (a uid:gid other than the sidecar's): " +
			"a job running as the sidecar's user could read the sidecar's credentials; or use compute.backend kubernetes")
	}
	return local.New(dir, compute.NewDatasetData(dataset.New(store)), opts...)
}

// newTrino connects to the Trino coordinator whose catalog reads the S3/MinIO blob store in place.
func newTrino(c config.Config, built map[string]backend.Backend) (backend.Backend, error) {
	if _, ok := instrument.Unwrap(built[backend.Blob]).(*s3.Store); !ok {
		return nil, errors.New("trino reads the datasets in place on S3/MinIO: set blob.backend to s3")
	}
	root := "s3://" + c.Blob.S3.Bucket
	if p := strings.Trim(c.Blob.S3.Prefix, "/"); p != "" {
		root += "/" + p
	}
	t := c.SQL.Trino
	return trino.New(trino.Config{URL: t.URL, Catalog: t.Catalog, User: t.User, Password: t.Password.Value(), StoreRoot: root}, slog.Default())
}

// Names lists the backend names known for a capability, default first.
func Names(capability string) []string {
	var out []string
	for _, e := range factories[capability] {
		out = append(out, e.name)
	}
	return out
}

// Build creates the configured backend of every capability. On error, what was already built is closed.
func Build(c config.Config) (*backend.Set, error) {
	chosen := map[string]string{
		backend.Blob: c.Blob.Backend, backend.Index: c.Index.Backend,
		backend.SQL: c.SQL.Backend, backend.Compute: c.Compute.Backend,
	}
	built := map[string]backend.Backend{}
	for _, capability := range backend.Capabilities {
		b, err := build(capability, chosen[capability], c, built)
		if err != nil {
			errs := []error{err}
			for _, done := range built {
				errs = append(errs, done.Close())
			}
			return nil, errors.Join(errs...)
		}
		built[capability] = b
	}
	return backend.NewSet(built), nil
}

// BuildBlob builds the blob store of c alone: for commands that work on the store without serving (kamld gc),
// which must not open the other backends — the bleve index, in particular, is locked by a serving sidecar.
func BuildBlob(c config.Config) (*backend.Set, error) {
	b, err := build(backend.Blob, c.Blob.Backend, c, map[string]backend.Backend{})
	if err != nil {
		return nil, err
	}
	return backend.NewSet(map[string]backend.Backend{backend.Blob: b}), nil
}

func build(capability, name string, c config.Config, built map[string]backend.Backend) (backend.Backend, error) {
	i := slices.IndexFunc(factories[capability], func(e entry) bool { return e.name == name })
	if i < 0 {
		return nil, fmt.Errorf("%s.backend: %q is not one of %s", capability, name, strings.Join(Names(capability), ", "))
	}
	b, err := factories[capability][i].new(c, built)
	if err != nil {
		return nil, fmt.Errorf("%s backend %s: %w", capability, name, err)
	}
	if !c.Observe.Metrics {
		return b, nil
	}
	return instrumented(capability, b), nil
}
