// Package minio runs a real MinIO server for tests: the pinned binary that scripts/install-minio.sh builds,
// on a free loopback port, with a temporary data directory and random root credentials, stopped when the
// test ends.
//
// The binary is $KAMLD_MINIO_BIN, or ~/.cache/kamld/bin/minio. When it is missing the test fails (it never
// skips) and says how to install it.
package minio

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/kamld/kamld/sidecar/internal/testserver/proc"
)

// Server is a running (or stopped) MinIO.
type Server struct {
	// Endpoint is host:port on loopback.
	Endpoint string
	// AccessKey and SecretKey are the root credentials.
	AccessKey, SecretKey string
	// DataDir holds the server's data; it survives Stop, so Start serves the same objects again.
	DataDir string

	tb  testing.TB
	bin string

	mu sync.Mutex
	p  *proc.Process // nil when stopped
}

// EnvBinary names the variable that overrides where the MinIO binary is.
const EnvBinary = "KAMLD_MINIO_BIN"

// readyTimeout bounds startup; MinIO serves in about half a second here.
const readyTimeout = 60 * time.Second

// Binary returns the path of the MinIO binary tests use, and an error telling how to install it if absent.
func Binary() (string, error) {
	bin, err := proc.CachePath(EnvBinary, "bin", "minio")
	if err != nil {
		return "", err
	}
	if !proc.IsExecutable(bin) {
		return "", fmt.Errorf("the MinIO server binary is not at %s: run scripts/install-minio.sh (or set %s to a minio binary)", bin, EnvBinary)
	}
	return bin, nil
}

// Start runs a MinIO server and registers its shutdown with tb.Cleanup. It fails tb if the binary is missing
// or the server does not become ready.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{
		AccessKey: "kamld-" + randomHex(6),
		SecretKey: randomHex(20),
		DataDir:   tb.TempDir(),
		tb:        tb,
		bin:       bin,
	}
	// Registered after TempDir, so it runs before the directory is removed.
	tb.Cleanup(s.Stop)

	// The port is chosen by the kernel and then handed to MinIO, so another process may take it in between;
	// a start that fails for that reason is retried on a new port.
	var lastErr error
	for range 3 {
		s.Endpoint = proc.MustFreeAddr(tb)
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	tb.Fatalf("starting MinIO: %v", lastErr)
	return nil
}

// Stop stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. Its data stays.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p == nil {
		return
	}
	s.p.Stop(10 * time.Second)
	s.p = nil
}

// Restart starts a stopped server again on the same address and data directory.
func (s *Server) Restart() {
	s.tb.Helper()
	var err error
	// The port was just released; if something grabbed it meanwhile we cannot keep the address, so fail.
	for range 20 {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	s.tb.Fatalf("restarting MinIO on %s: %v", s.Endpoint, err)
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.Endpoint }

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		return errors.New("already running")
	}
	cmd := exec.Command(s.bin, "server", "--quiet", "--address", s.Endpoint, s.DataDir)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off", // no console on a second port
		"MINIO_UPDATE=off",
	)
	p, err := proc.Start("minio", cmd)
	if err != nil {
		return err
	}
	// /minio/health/ready answers 200 a moment before the S3 API stops answering 503
	// XMinioServerNotInitialized; an anonymous ListBuckets tells when it really serves (403 then).
	err = p.WaitReady(context.Background(), readyTimeout, 50*time.Millisecond, func(ctx context.Context) bool {
		return proc.HTTPStatus(ctx, http.DefaultClient, s.URL()+"/minio/health/ready") == http.StatusOK &&
			proc.HTTPStatus(ctx, http.DefaultClient, s.URL()+"/") == http.StatusForbidden
	})
	if err != nil {
		return err
	}
	s.p = p
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
