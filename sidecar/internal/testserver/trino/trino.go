// Package trino runs a real Trino server for tests: the pinned server that scripts/install-trino.sh unpacks,
// as a single coordinator-and-worker node on a free loopback port, with a temporary etc/ and data directory,
// a small heap and settings for a 2-core machine, stopped when the test ends.
//
// The server is $KAMLD_TRINO_HOME, or ~/.cache/kamld/trino-server-476; it runs on the JDK in
// $KAMLD_TRINO_JAVA_HOME, or /usr/lib/jvm/temurin-25-jdk-amd64 (Trino 476 needs Java 24 or newer). When either
// is missing the test is skipped with a message saying how to install it — except in CI (see proc.InCI), where
// it fails, so that CI never passes by skipping.
//
// Trino starts in about 20 s here, so a test package should start one server and share it among its tests.
package trino

import (
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
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamld/kamld/sidecar/internal/testserver/proc"
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

	mu sync.Mutex
	p  *proc.Process // nil when stopped
	// last is the latest process, kept after it stops so Log still shows its output.
	last *proc.Process
}

// Catalog is one catalog's properties file, etc/catalog/<Name>.properties.
type Catalog struct {
	Name       string
	Properties map[string]string
}

// Installation returns the server's home and the JDK's home, or an error saying how to install what is missing.
func Installation() (home, javaHome string, err error) {
	if home, err = proc.CachePath(EnvHome, "trino-server-"+Version); err != nil {
		return "", "", err
	}
	if _, err := os.Stat(filepath.Join(home, "kamld.installed")); err != nil {
		return "", "", fmt.Errorf("trino %s is not installed at %s: run scripts/install-trino.sh or `make trino` (or set %s)", Version, home, EnvHome)
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
	return Background(tb, catalogs...)()
}

// Background is Start without the wait: it launches Trino and returns at once, so that a test can start or
// fill its other servers meanwhile (Trino takes 20 s and more to start); wait returns the server once it
// answers a query, or fails tb. Call wait from the test's goroutine.
func Background(tb testing.TB, catalogs ...Catalog) (wait func() *Server) {
	tb.Helper()
	home, javaHome, err := Installation()
	if err != nil {
		proc.SkipOrFail(tb, err)
	}
	s := &Server{Dir: tb.TempDir()}
	return proc.Background(tb, "Trino", func() (*Server, func(), error) {
		return s, s.Stop, s.launch(home, javaHome, catalogs)
	})
}

// launch starts the server on a free port. As with MinIO, the kernel picks the port and Trino binds it later:
// it retries on a new port if that one was taken.
func (s *Server) launch(home, javaHome string, catalogs []Catalog) error {
	var lastErr error
	for range 3 {
		addr, err := proc.FreeAddr()
		if err != nil {
			return err
		}
		s.URL = "http://" + addr
		if err := s.writeConfig(addr, catalogs); err != nil {
			return fmt.Errorf("writing Trino's configuration: %w", err)
		}
		if lastErr = s.start(home, javaHome); lastErr == nil {
			return nil
		}
	}
	return lastErr
}

// Stop stops the server (SIGTERM, then SIGKILL after 20 s) and waits for it to exit.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p == nil {
		return
	}
	s.p.Stop(20 * time.Second)
	s.p = nil
}

// Log is what the server printed so far (capped), for failure messages.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return ""
	}
	return s.last.Output()
}

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
		"jvm.config":     strings.Join(append(slices.Clone(jvmOptions), proc.FastStartJVM()...), "\n") + "\n",
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
	if s.p != nil {
		return errors.New("already running")
	}
	etc := filepath.Join(s.Dir, "etc")
	// `launcher run` stays in the foreground and execs the JVM, so signals reach Trino itself.
	cmd := exec.Command(filepath.Join(home, "bin", "launcher"), "run",
		"--etc-dir="+etc, "--data-dir="+filepath.Join(s.Dir, "data"))
	cmd.Env = append(os.Environ(), "JAVA_HOME="+javaHome, "PATH="+filepath.Join(javaHome, "bin")+":"+os.Getenv("PATH"))
	p, err := proc.Start("trino", cmd)
	if err != nil {
		return err
	}
	s.last = p
	// /v1/info says "starting": false once the server accepts queries; a trivial query then proves it.
	err = p.WaitReady(context.Background(), readyTimeout, 250*time.Millisecond, func(ctx context.Context) bool {
		return s.started(ctx) && s.Query(ctx, "SELECT 1") == nil
	})
	if err != nil {
		return err
	}
	s.p = p
	return nil
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

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
