package blobwiring_test

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/wiring/blobwiring"
)

func TestNamesDefaultFirst(t *testing.T) {
	assert.Equal(t, []string{"fs", "s3"}, blobwiring.Names())
}

// TestStoreFS opens the default store from configuration and round-trips an object through it.
func TestStoreFS(t *testing.T) {
	cfg := config.Default()
	cfg.Blob.FS.Dir = filepath.Join(t.TempDir(), "store")
	store, err := blobwiring.Store(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close()) })
	_, err = store.Put(t.Context(), "a/b", strings.NewReader("hello"), blob.PutOptions{})
	require.NoError(t, err)
	rc, _, err := store.Get(t.Context(), "a/b", blob.GetOptions{})
	require.NoError(t, err)
	defer rc.Close()
	var got bytes.Buffer
	_, err = io.Copy(&got, rc)
	require.NoError(t, err)
	assert.Equal(t, "hello", got.String())
}

func TestStoreUnknownBackend(t *testing.T) {
	cfg := config.Default()
	cfg.Blob.Backend = "tape"
	_, err := blobwiring.Store(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"tape" is not one of fs, s3`)
}

// TestStoreS3Unreachable: a store that cannot be reached is an error, not a hang (the open is bounded).
func TestStoreS3Unreachable(t *testing.T) {
	cfg := config.Default()
	cfg.Blob.Backend = "s3"
	cfg.Blob.S3.Endpoint = "127.0.0.1:1" // nothing listens on port 1
	_, err := blobwiring.Store(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "blob backend s3")
}
