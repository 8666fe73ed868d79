// Package minio runs a real MinIO server for tests: the pinned binary that scripts/install-minio.sh builds,
// on a free loopback port, with a temporary data directory and random root credentials, stopped when the
// test ends.
//
// The binary is $KAMLD_MINIO_BIN, or ~/.cache/kamld/bin/minio. When it is missing the test fails (it never
// skips) and says how to install it.
package minio

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
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

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	log  *lockedBuffer
}

// EnvBinary names the variable that overrides where the MinIO binary is.
const EnvBinary = "KAMLD_MINIO_BIN"

// readyTimeout bounds startup; MinIO serves in about half a second here.
const readyTimeout = 60 * time.Second

// Binary returns the path of the MinIO binary tests use, and an error telling how to install it if absent.
func Binary() (string, error) {
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("locating the MinIO binary: %w (set %s)", err, EnvBinary)
		}
		bin = filepath.Join(home, ".cache", "kamld", "bin", "minio")
	}
	fi, err := os.Stat(bin)
	if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
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
		s.Endpoint = freeLoopbackAddr(tb)
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
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
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
	if s.cmd != nil {
		return errors.New("already running")
	}
	s.log = &lockedBuffer{}
	cmd := exec.Command(s.bin, "server", "--quiet", "--address", s.Endpoint, s.DataDir)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off", // no console on a second port
		"MINIO_UPDATE=off",
	)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	// Its own process group: a Ctrl-C on `go test` reaches the test, whose cleanup stops MinIO in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()

	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for {
		select {
		case <-done:
			return fmt.Errorf("minio exited during startup: %s", s.log.String())
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("minio not ready after %s: %s", readyTimeout, s.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		// /minio/health/ready answers 200 a moment before the S3 API stops answering 503
		// XMinioServerNotInitialized; an anonymous ListBuckets tells when it really serves (403 then).
		if status(ctx, s.URL()+"/minio/health/ready") == http.StatusOK && status(ctx, s.URL()+"/") == http.StatusForbidden {
			s.cmd, s.done = cmd, done
			return nil
		}
	}
}

// status is the HTTP status of a GET, or 0 when the request fails.
func status(ctx context.Context, url string) int {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func freeLoopbackAddr(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lockedBuffer collects the server's output for failure messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 64<<10 {
		return len(p), nil // enough to diagnose; do not grow without bound
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
