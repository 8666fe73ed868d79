// Package blobwiring is the object store's factory table, kept apart from package wiring so that processes
// that only move data (the in-pod job helper, cmd/kamld-job-helper) can open the configured store without
// linking the other capabilities' backends — DuckDB above all, which needs cgo and so cannot go into the
// statically linked helper. Package wiring builds its blob capability from this same table.
package blobwiring

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/config"
)

type entry struct {
	name string
	new  func(config.Config) (blob.Store, error)
}

// factories lists the known object stores; the first is the embedded default.
var factories = []entry{
	{"fs", newFS},
	{"s3", newS3},
}

// Names lists the object store backends, default first.
func Names() []string {
	out := make([]string, 0, len(factories))
	for _, e := range factories {
		out = append(out, e.name)
	}
	return out
}

// New opens the object store called name from the configuration. An unknown name is an error that lists
// the known ones; the caller owns (and closes) the store.
func New(name string, c config.Config) (blob.Store, error) {
	i := slices.IndexFunc(factories, func(e entry) bool { return e.name == name })
	if i < 0 {
		return nil, fmt.Errorf("blob.backend: %q is not one of %s", name, strings.Join(Names(), ", "))
	}
	return factories[i].new(c)
}

// Store opens the configured object store (c.Blob.Backend).
func Store(c config.Config) (blob.Store, error) {
	store, err := New(c.Blob.Backend, c)
	if err != nil {
		return nil, fmt.Errorf("blob backend %s: %w", c.Blob.Backend, err)
	}
	return store, nil
}

func newFS(c config.Config) (blob.Store, error) {
	store, err := fs.New(c.Blob.FS.Dir)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return store, nil
}

// newS3 opens the MinIO/S3 blob store, creating its bucket if needed. Opening waits at most s3OpenTimeout
// for the endpoint, so a wrong address fails with a clear error instead of hanging.
func newS3(c config.Config) (blob.Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s3OpenTimeout)
	defer cancel()
	store, err := s3.New(ctx, s3.Config{
		Endpoint:  c.Blob.S3.Endpoint,
		Secure:    c.Blob.S3.Secure,
		Region:    c.Blob.S3.Region,
		Bucket:    c.Blob.S3.Bucket,
		Prefix:    c.Blob.S3.Prefix,
		AccessKey: c.Blob.S3.AccessKey,
		SecretKey: c.Blob.S3.SecretKey.Value(),
	})
	if err != nil {
		return nil, err
	}
	return store, nil
}

const s3OpenTimeout = 15 * time.Second
