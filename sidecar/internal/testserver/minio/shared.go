package minio

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/kamld/kamld/sidecar/internal/testserver/proc"
)

// shared is the one MinIO of a test binary (Shared), started on first use.
var shared struct {
	once sync.Once
	s    *Server
	dir  string
	err  error
}

// Shared returns one MinIO for every test of the binary that calls it, started by the first: tests that each
// work in a bucket of their own need not pay a server start each. Stop it with StopShared from TestMain after
// m.Run. Tests that stop or restart their server use Start instead.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.once.Do(func() { shared.s, shared.dir, shared.err = startShared() })
	if shared.err != nil {
		tb.Fatalf("starting the shared MinIO: %v", shared.err)
	}
	return shared.s
}

// StopShared stops the shared MinIO, if one was started, and removes its data.
func StopShared() {
	if shared.s != nil {
		shared.s.Stop()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
}

func startShared() (*Server, string, error) {
	bin, err := Binary()
	if err != nil {
		return nil, "", err
	}
	dir, err := os.MkdirTemp("", "kamld-minio-")
	if err != nil {
		return nil, "", err
	}
	s := &Server{AccessKey: "kamld-" + randomHex(6), SecretKey: randomHex(20), DataDir: dir, bin: bin}
	var lastErr error
	for range 3 { // a port taken between choosing and binding: try another
		if s.Endpoint, lastErr = proc.FreeAddr(); lastErr != nil {
			break
		}
		if lastErr = s.start(); lastErr == nil {
			return s, dir, nil
		}
	}
	_ = os.RemoveAll(dir)
	return nil, "", fmt.Errorf("starting MinIO: %w", lastErr)
}
