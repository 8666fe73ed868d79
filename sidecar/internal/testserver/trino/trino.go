// Package trino runs a real Trino server for tests: the pinned server that scripts/install-trino.sh unpacks,
// as a single coordinator-and-worker node on a free loopback port, with a temporary etc/ and data directory,
// a small heap and settings for a 2-core machine, stopped when the test ends.
//
// The server is $KAMLD_TRINO_HOME, or ~/.cache/kamld/trino-server-476; it runs on the JDK in
// $KAMLD_TRINO_JAVA_HOME, or /usr/lib/jvm/temurin-25-jdk-amd64 (Trino 476 needs Java 24 or newer). When either
// is missing the test is skipped with a message saying how to install it — except under CI=true, where it
// fails, so that CI never passes by skipping.
//
// Trino starts in about 20 s here, so a test package should start one server and share it among its tests.
package trino

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version is the Trino release scripts/install-trino.sh installs.
const Version = "476"

// Environment variables that override where Trino and its JDK are.
const (
	EnvHome     = "KAMLD_TRINO_HOME"
	EnvJavaHome = "KAMLD_TRINO_JAVA_HOME"
)

// readyTimeout bounds startup: about 20 s on an idle 2-core machine, much more when it is busy.
const readyTimeout = 4 * time.Minute

// User is the user name the harness's own queries run as; the server accepts any user (no authentication).
const User = "kamld-test"

// Server is a running Trino.
type Server struct {
	// URL is the coordinator's base URL, http://127.0.0.1:port.
	URL string
	// Dir holds etc/ and the data directory.
	Dir string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *lockedBuffer
}

// Catalog is one catalog's properties file, etc/catalog/<Name>.properties.
type Catalog struct {
	Name       string
	Properties map[string]string
}

// Installation returns the server's home and the JDK's home, or an error saying how to install what is missing.
func Installation() (home, javaHome string, err error) {
	home = os.Getenv(EnvHome)
	if home == "" {
		u, err := os.UserHomeDir()
		if err != nil {
			return "", "", fmt.Errorf("locating Trino: %w (set %s)", err, EnvHome)
		}
		home = filepath.Join(u, ".cache", "kamld", "trino-server-"+Version)
	}
	if _, err := os.Stat(filepath.Join(home, "kamld.installed")); err != nil {
		return "", "", fmt.Errorf("Trino %s is not installed at %s: run scripts/install-trino.sh or `make trino` (or set %s)", Version, home, EnvHome)
	}
	javaHome = os.Getenv(EnvJavaHome)
	if javaHome == "" {
		javaHome = "/usr/lib/jvm/temurin-25-jdk-amd64"
	}
	if _, err := os.Stat(filepath.Join(javaHome, "bin", "java")); err != nil {
		return "", "", fmt.Errorf("no JDK at %s: Trino %s needs Java 24 or newer (set %s)", javaHome, Version, EnvJavaHome)
	}
	return home, javaHome, nil
}

// Start runs a Trino server with the given catalogs and registers its shutdown with tb.Cleanup. It returns once
// the server answers a query. It skips tb when Trino is not installed, unless CI=true.
func Start(tb testing.TB, catalogs ...Catalog) *Server {
	tb.Helper()
	home, javaHome, err := Installation()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal(err)
		}
		tb.Skip(err)
	}
	s := &Server{Dir: tb.TempDir()}
	tb.Cleanup(s.Stop)
	// As with MinIO, the kernel picks the port and Trino binds it later: retry on a new port if it was taken.
	var lastErr error
	for range 3 {
		addr := freeLoopbackAddr(tb)
		s.URL = "http://" + addr
		if err := s.writeConfig(addr, catalogs); err != nil {
			tb.Fatalf("writing Trino's configuration: %v", err)
		}
		if lastErr = s.start(home, javaHome); lastErr == nil {
			return s
		}
	}
	tb.Fatalf("starting Trino: %v", lastErr)
	return nil
}

// Stop stops the server (SIGTERM, then SIGKILL after 20 s) and waits for it to exit.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Log is what the server printed so far (capped), for failure messages.
func (s *Server) Log() string { return s.log.String() }

func (s *Server) writeConfig(addr string, catalogs []Catalog) error {
	_, port, _ := net.SplitHostPort(addr)
	etc := filepath.Join(s.Dir, "etc")
	files := map[string]string{
		"node.properties": props(map[string]string{
			"node.environment":      "test",
			"node.id":               "kamld-" + randomHex(6),
			"node.data-dir":         filepath.Join(s.Dir, "data"),
			"node.bind-ip":          "127.0.0.1",
			"node.internal-address": "127.0.0.1",
		}),
		"config.properties": props(map[string]string{
			"coordinator":                        "true",
			"node-scheduler.include-coordinator": "true",
			"http-server.http.port":              port,
			"discovery.uri":                      "http://" + addr,
			// Small memory pools to match the heap, and few threads for a 2-core machine shared with others.
			"query.max-memory":          "512MB",
			"query.max-memory-per-node": "256MB",
			"task.concurrency":          "2",
			"task.max-worker-threads":   "4",
			"task.min-drivers":          "4",
			// Tests should not wait for a client that went away for long.
			"query.client.timeout": "30s",
		}),
		"jvm.config":     strings.Join(jvmOptions, "\n") + "\n",
		"log.properties": "io.trino=WARN\nio.airlift=WARN\n",
	}
	if err := os.MkdirAll(filepath.Join(etc, "catalog"), 0o755); err != nil {
		return err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	for _, c := range catalogs {
		if err := os.WriteFile(filepath.Join(etc, "catalog", c.Name+".properties"), []byte(props(c.Properties)), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// jvmOptions keep Trino small: a 1 GiB heap (it starts with far less), the serial collector (fewer GC threads
// than G1 on a shared 2-core machine; Trino only warns), and the JIT's code cache trimmed.
var jvmOptions = []string{
	"-server",
	"-Xmx1G",
	"-Xms128m",
	"-XX:+UseSerialGC",
	"-XX:+ExitOnOutOfMemoryError",
	"-XX:-OmitStackTraceInFastThrow",
	"-XX:ReservedCodeCacheSize=128M",
	"-XX:ActiveProcessorCount=2",
	"-XX:+EnableDynamicAgentLoading",
	"-Djdk.attach.allowAttachSelf=true",
	"-Dfile.encoding=UTF-8",
}

func (s *Server) start(home, javaHome string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("already running")
	}
	s.log = &lockedBuffer{}
	etc := filepath.Join(s.Dir, "etc")
	// `launcher run` stays in the foreground and execs the JVM, so signals reach Trino itself.
	cmd := exec.Command(filepath.Join(home, "bin", "launcher"), "run",
		"--etc-dir="+etc, "--data-dir="+filepath.Join(s.Dir, "data"))
	cmd.Env = append(os.Environ(), "JAVA_HOME="+javaHome, "PATH="+filepath.Join(javaHome, "bin")+":"+os.Getenv("PATH"))
	cmd.Stdout, cmd.Stderr = s.log, s.log
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
			return fmt.Errorf("trino exited during startup: %s", s.log.String())
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("trino not ready after %s: %s", readyTimeout, s.log.String())
		case <-time.After(250 * time.Millisecond):
		}
		// /v1/info says "starting": false once the server accepts queries; a trivial query then proves it.
		if s.started(ctx) {
			if err := s.Query(ctx, "SELECT 1"); err == nil {
				s.cmd, s.done = cmd, done
				return nil
			}
		}
	}
}

func (s *Server) started(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/v1/info", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var info struct {
		Starting bool `json:"starting"`
	}
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&info) == nil && !info.Starting
}

// Query runs a statement over Trino's client REST protocol and discards its rows: for the harness's own
// readiness check and for tests' setup, without a client library.
func (s *Server) Query(ctx context.Context, sql string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/v1/statement", strings.NewReader(sql))
	req.Header.Set("X-Trino-User", User)
	for {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		var r struct {
			NextURI string `json:"nextUri"`
			Error   *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("trino answered %s: %s", resp.Status, body)
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return fmt.Errorf("decoding trino's answer: %w", err)
		}
		if r.Error != nil {
			return errors.New(r.Error.Message)
		}
		if r.NextURI == "" {
			return nil
		}
		req, _ = http.NewRequestWithContext(ctx, http.MethodGet, r.NextURI, nil)
		req.Header.Set("X-Trino-User", User)
	}
}

// props renders a Java properties file with sorted keys.
func props(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, m[k])
	}
	return b.String()
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
	if b.buf.Len() > 256<<10 {
		return len(p), nil // enough to diagnose; do not grow without bound
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	if b == nil {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
