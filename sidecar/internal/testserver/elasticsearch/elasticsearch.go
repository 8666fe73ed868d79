// Package elasticsearch runs a real Elasticsearch 8 for tests: the pinned integration-test distribution that
// scripts/install-elasticsearch.sh unpacks, on the machine's JDK 17 or 21, as a single node on a free loopback
// port with a temporary data directory, a small heap and security off (the distribution has no ML at all).
//
// The installation is $KAMLD_ELASTICSEARCH_HOME, or ~/.cache/kamld/elasticsearch-<Version>. When it is missing
// the test is skipped with a message saying how to install it — except in CI (CI set to anything but "" or
// "false"), where a missing server fails the test, so an integration run can never pass by skipping.
package elasticsearch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kamld/kamld/sidecar/internal/testserver/proc"
)

// Version is the Elasticsearch release scripts/install-elasticsearch.sh installs; keep the two in step.
const Version = "8.19.21"

// Environment variables that override where things are.
const (
	// EnvHome is an unpacked Elasticsearch distribution (the folder holding bin/elasticsearch).
	EnvHome = "KAMLD_ELASTICSEARCH_HOME"
	// EnvJavaHome is the JDK to run it on; ES_JAVA_HOME is honoured too.
	EnvJavaHome = "KAMLD_ES_JAVA_HOME"
)

// jdkCandidates are the JDKs Elasticsearch 8.19 supports, as Debian installs them, in order of preference.
var jdkCandidates = []string{
	"/usr/lib/jvm/java-17-openjdk-amd64",
	"/usr/lib/jvm/java-21-openjdk-amd64",
	"/usr/lib/jvm/java-17-openjdk-arm64",
	"/usr/lib/jvm/java-21-openjdk-arm64",
}

// Home returns the Elasticsearch installation tests use, and an error telling how to install it if absent.
func Home() (string, error) {
	home, err := proc.CachePath(EnvHome, "elasticsearch-"+Version)
	if err != nil {
		return "", err
	}
	if !proc.IsExecutable(filepath.Join(home, "bin", "elasticsearch")) {
		return "", fmt.Errorf("elasticsearch %s is not installed at %s: run scripts/install-elasticsearch.sh or `make elasticsearch` (or set %s)", Version, home, EnvHome)
	}
	return home, nil
}

// JavaHome returns the JDK to run Elasticsearch on.
func JavaHome() (string, error) {
	for _, env := range []string{EnvJavaHome, "ES_JAVA_HOME"} {
		if dir := os.Getenv(env); dir != "" {
			return dir, nil
		}
	}
	for _, dir := range jdkCandidates {
		if _, err := os.Stat(filepath.Join(dir, "bin", "java")); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no JDK 17 or 21 found in %s: install openjdk-17-jre-headless or set %s", strings.Join(jdkCandidates, ", "), EnvJavaHome)
}

// Available returns the installation and JDK, or an error saying what is missing.
func Available() (home, javaHome string, err error) {
	home, err = Home()
	if err != nil {
		return "", "", err
	}
	javaHome, err = JavaHome()
	return home, javaHome, err
}

// Start runs Elasticsearch for one test and registers its shutdown with tb.Cleanup. A missing installation
// skips the test outside CI and fails it in CI; a server that does not come up fails it.
func Start(tb testing.TB) *Server {
	tb.Helper()
	home, javaHome, err := Available()
	if err != nil {
		proc.SkipOrFail(tb, err)
	}
	dir, err := os.MkdirTemp("", "kamld-es-")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := Launch(context.Background(), Options{Home: home, JavaHome: javaHome, Dir: dir})
	tb.Cleanup(func() {
		if s != nil {
			s.Stop()
		}
		_ = os.RemoveAll(dir)
	})
	if err != nil {
		tb.Fatalf("starting Elasticsearch: %v", err)
	}
	return s
}

// Background is Start without the wait: it launches Elasticsearch and returns at once, so that a test can
// start its other servers meanwhile (a start costs 10-60 s of mostly one core); wait returns the server once it
// answers, or fails tb. Call wait from the test's goroutine. The shutdown is registered with tb.Cleanup.
func Background(tb testing.TB) (wait func() *Server) {
	tb.Helper()
	if _, _, err := Available(); err != nil {
		proc.SkipOrFail(tb, err)
	}
	return proc.Background(tb, "Elasticsearch", StartMain)
}

// ErrNotInstalled marks a missing Elasticsearch or JDK in StartMain's result.
var ErrNotInstalled = errors.New("elasticsearch not installed")

// StartMain starts one Elasticsearch for a whole test binary (from TestMain, where there is no testing.TB),
// because a start costs 10-20 s. It returns ErrNotInstalled (wrapped, with the reason) when the installation is
// missing and the run is not in CI; the caller then skips its tests. stop stops the server and removes its
// directory.
func StartMain() (s *Server, stop func(), err error) {
	home, javaHome, err := Available()
	if err != nil {
		if proc.InCI() {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w: %w", ErrNotInstalled, err)
	}
	dir, err := os.MkdirTemp("", "kamld-es-")
	if err != nil {
		return nil, nil, err
	}
	s, err = Launch(context.Background(), Options{Home: home, JavaHome: javaHome, Dir: dir})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	return s, func() { s.Stop(); _ = os.RemoveAll(dir) }, nil
}
