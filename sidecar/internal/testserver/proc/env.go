package proc

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// InCI reports whether the tests run in CI (CI set to anything but "" or a false boolean), where a missing
// server is a failure rather than a skip, so an integration run can never pass by skipping.
func InCI() bool {
	v := os.Getenv("CI")
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b // any non-boolean value (e.g. "yes") counts as CI
}

// SkipOrFail skips tb because a server is not installed (err says how to install it), or fails it in CI.
func SkipOrFail(tb testing.TB, err error) {
	tb.Helper()
	if InCI() {
		tb.Fatal(err)
	}
	tb.Skip(err)
}

// CachePath is the value of the environment variable env when set, else ~/.cache/kamld/<elem...>, where the
// project's install scripts put servers.
func CachePath(env string, elem ...string) (string, error) {
	if p := os.Getenv(env); p != "" {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("locating %s: %w (set %s)", filepath.Join(elem...), err, env)
	}
	return filepath.Join(append([]string{home, ".cache", "kamld"}, elem...)...), nil
}

// IsExecutable reports whether path is an executable regular file.
func IsExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// FreeAddr is 127.0.0.1:port for a port the kernel just reported free. The server binds it later, so another
// process may take it in between: harnesses retry a failed start on a new port.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// MustFreeAddr is FreeAddr failing tb on error.
func MustFreeAddr(tb testing.TB) string {
	tb.Helper()
	addr, err := FreeAddr()
	if err != nil {
		tb.Fatal(err)
	}
	return addr
}

// HTTPStatus is the status of a GET of url through client, or 0 when the request fails within 2 s.
func HTTPStatus(ctx context.Context, client *http.Client, url string) int {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// FastStartJVM is the JVM options of a test server that should start fast rather than run fast: the C1
// compiler only (-XX:TieredStopAtLevel=1), which took Trino's start from 15 to 6 CPU-seconds on a 2-core
// machine; a test's queries are small. Under `go test -bench` it is empty, so that measured figures come from
// the full JIT.
func FastStartJVM() []string {
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		return nil
	}
	return []string{"-XX:TieredStopAtLevel=1"}
}

// Background runs start (a server's launch, which waits until it answers) in a goroutine and returns at once,
// so that a test can start its other servers meanwhile; wait returns the server, or fails tb with what, and
// must be called from the test's goroutine. The stop that start returns runs at tb's cleanup, also when the
// test ended before waiting.
func Background[S any](tb testing.TB, what string, start func() (S, func(), error)) (wait func() S) {
	var (
		s    S
		stop func()
		err  error
	)
	done := make(chan struct{})
	go func() { defer close(done); s, stop, err = start() }()
	tb.Cleanup(func() {
		<-done
		if stop != nil {
			stop()
		}
	})
	return func() S {
		tb.Helper()
		<-done
		if err != nil {
			tb.Fatalf("starting %s: %v", what, err)
		}
		return s
	}
}
