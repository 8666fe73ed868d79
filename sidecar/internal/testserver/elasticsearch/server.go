package elasticsearch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kamld/kamld/sidecar/internal/testserver/proc"
)

// Options say which installation to run and where its files go.
type Options struct {
	Home     string // unpacked distribution
	JavaHome string // JDK 17 or 21
	Dir      string // holds config/, data/, logs/ and tmp/; survives Stop so Restart serves the same indices
	// Heap is the JVM heap options; defaults to a small heap so tests share the machine politely.
	Heap string
	// HTTPAddr fixes the REST API's host:port (for a client configured before the server starts); empty picks a
	// free one, and a start that loses its port to another process is retried on new ones.
	HTTPAddr string
}

// defaultHeap keeps Elasticsearch small: tests index thousands of documents, not millions.
const defaultHeap = "-Xms256m -Xmx512m"

// readyTimeout bounds startup: 15-20 s on 2 idle cores, but minutes when other builds share them.
const readyTimeout = 5 * time.Minute

// stopTimeout bounds a graceful shutdown before the process group is killed.
const stopTimeout = 30 * time.Second

// Server is a running (or stopped) single-node Elasticsearch.
type Server struct {
	// HTTPAddr is host:port of the REST API on loopback.
	HTTPAddr string
	opts     Options
	// transportAddr is the node-to-node port; fixed so a restarted node binds the same ports.
	transportAddr string

	mu sync.Mutex
	p  *proc.Process // nil when stopped
	// last is the latest process, kept after it stops so Log still shows its output.
	last *proc.Process
}

// Launch prepares opts.Dir and starts Elasticsearch on free loopback ports, waiting until the cluster is at
// least yellow. A start that fails because another process took the chosen port is retried on new ports.
func Launch(ctx context.Context, opts Options) (*Server, error) {
	if opts.Heap == "" {
		opts.Heap = defaultHeap
	}
	s := &Server{opts: opts}
	var lastErr error
	for range 3 {
		var err error
		if s.HTTPAddr = opts.HTTPAddr; s.HTTPAddr == "" {
			if s.HTTPAddr, err = proc.FreeAddr(); err != nil {
				return nil, err
			}
		}
		if s.transportAddr, err = proc.FreeAddr(); err != nil {
			return nil, err
		}
		if err := s.writeConfig(); err != nil {
			return nil, err
		}
		if lastErr = s.start(ctx); lastErr == nil {
			return s, nil
		}
		if opts.HTTPAddr != "" || !strings.Contains(lastErr.Error(), "BindException") {
			break
		}
	}
	return nil, lastErr
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.HTTPAddr }

// Log returns the server's console output so far, for failure messages.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return ""
	}
	return s.last.Output()
}

// Stop stops the server (SIGTERM, then SIGKILL to its process group after stopTimeout) and waits for it to
// exit. Its data stays in Dir. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p == nil {
		return
	}
	// The launcher exits after the server JVM; Stop kills what is left of the group, so no JVM outlives it.
	s.p.Stop(stopTimeout)
	s.p = nil
}

// Restart starts a stopped server again on the same ports and data, for outage tests.
func (s *Server) Restart(ctx context.Context) error {
	var err error
	// The ports were just released; retry briefly in case the kernel still holds them.
	for range 10 {
		if err = s.start(ctx); err == nil || !strings.Contains(err.Error(), "BindException") {
			return err
		}
		time.Sleep(time.Second)
	}
	return fmt.Errorf("restarting Elasticsearch on %s: %w", s.HTTPAddr, err)
}

// writeConfig copies the distribution's config folder (jvm.options, log4j2.properties) into Dir and writes
// the node settings: single node, loopback only, no security, and no disk watermarks (a nearly full disk
// must not turn test indices read-only). Indices are never created implicitly: a backend that writes before
// creating its index fails loudly here rather than getting dynamic mappings.
func (s *Server) writeConfig() error {
	conf := filepath.Join(s.opts.Dir, "config")
	if err := os.RemoveAll(conf); err != nil {
		return err
	}
	if err := os.CopyFS(conf, os.DirFS(filepath.Join(s.opts.Home, "config"))); err != nil {
		return fmt.Errorf("copying the Elasticsearch config: %w", err)
	}
	settings := map[string]string{
		"cluster.name":             "kamld-test",
		"node.name":                "kamld-test-node",
		"discovery.type":           "single-node",
		"network.host":             "127.0.0.1",
		"http.port":                port(s.HTTPAddr),
		"transport.port":           port(s.transportAddr),
		"path.data":                filepath.Join(s.opts.Dir, "data"),
		"path.logs":                filepath.Join(s.opts.Dir, "logs"),
		"xpack.security.enabled":   "false",
		"action.auto_create_index": "false",
		"cluster.routing.allocation.disk.threshold_enabled": "false",
	}
	var yml strings.Builder
	for k, v := range settings {
		fmt.Fprintf(&yml, "%s: %q\n", k, v)
	}
	return os.WriteFile(filepath.Join(conf, "elasticsearch.yml"), []byte(yml.String()), 0o644)
}

func (s *Server) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		return errors.New("already running")
	}
	tmp := filepath.Join(s.opts.Dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(s.opts.Home, "bin", "elasticsearch"))
	cmd.Env = append(os.Environ(),
		"ES_PATH_CONF="+filepath.Join(s.opts.Dir, "config"),
		"ES_JAVA_HOME="+s.opts.JavaHome,
		"ES_JAVA_OPTS="+strings.Join(append([]string{s.opts.Heap}, proc.FastStartJVM()...), " "),
		"ES_TMPDIR="+tmp,
	)
	cmd.SysProcAttr = sysProcAttr()
	p, err := proc.Start("elasticsearch", cmd)
	if err != nil {
		return err
	}
	s.last = p
	// Poll cluster health until the cluster is yellow or green.
	if err := p.WaitReady(ctx, readyTimeout, 200*time.Millisecond, func(ctx context.Context) bool { return healthy(ctx, s.URL()) }); err != nil {
		return err
	}
	s.p = p
	return nil
}

// sysProcAttr puts the server in its own process group (a Ctrl-C on `go test` reaches the test, whose cleanup
// stops it in order). Elasticsearch refuses to run as root; as root it runs in a new user namespace where it
// is uid 1000, mapped to root outside, so it still owns the files it creates and reads the cache under /root.
func sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if os.Geteuid() == 0 {
		attr.Cloneflags = syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 1000, HostID: 0, Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 1000, HostID: 0, Size: 1}}
	}
	return attr
}

// healthy reports whether the cluster answers with status yellow or green.
func healthy(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/_cluster/health?wait_for_status=yellow&timeout=1s", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var health struct {
		Status string `json:"status"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&health) != nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return false
	}
	return health.Status == "yellow" || health.Status == "green"
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
