package wiring

import (
	"fmt"

	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/config"
)

// BlobStore builds only the configured object store, for processes that move data but serve nothing (the
// in-pod job helper).
func BlobStore(c config.Config) (blob.Store, error) {
	b, err := build(backend.Blob, c.Blob.Backend, c, nil)
	if err != nil {
		return nil, err
	}
	store, ok := b.(blob.Store)
	if !ok {
		_ = b.Close()
		return nil, fmt.Errorf("blob backend %s is not an object store", c.Blob.Backend)
	}
	return store, nil
}
