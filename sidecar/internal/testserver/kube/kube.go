// Package kube runs a real Kubernetes control plane for tests: etcd and kube-apiserver, the pinned binaries that
// scripts/install-kube-apiserver.sh builds, on free loopback ports with throwaway certificates, stopped when the
// test ends. There is no kubelet, scheduler or controller manager: a test plays their part by writing Job and
// Pod status through the API, and nothing else can tell the difference.
//
// The binaries are $KAMLD_ETCD_BIN and $KAMLD_KUBE_APISERVER_BIN, or etcd and kube-apiserver in
// ~/.cache/kamld/bin. When they are missing the test is skipped, except in CI (CI=true), where it fails and
// says how to install them.
package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kamld/kamld/sidecar/internal/testserver/proc"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	typedcore "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
)

// Environment variables overriding where the binaries are.
const (
	EnvEtcd      = "KAMLD_ETCD_BIN"
	EnvAPIServer = "KAMLD_KUBE_APISERVER_BIN"
)

// readyTimeout bounds each server's startup; the API server is ready in a few seconds here, but the machine
// may be busy.
const readyTimeout = 2 * time.Minute

// Server is a running (or stopped) control plane.
type Server struct {
	// Host is the API server's URL, https://127.0.0.1:port.
	Host string
	// Kubeconfig is a kubeconfig file for the admin user (group system:masters), as kubectl would use.
	Kubeconfig string

	tb      testing.TB
	dir     string
	bins    binaries
	pki     *pki
	files   map[string]string
	etcdURL string

	mu   sync.Mutex
	etcd *proc.Process
	api  *proc.Process
}

type binaries struct{ etcd, apiserver string }

// Binaries returns the paths of etcd and kube-apiserver, or an error telling how to install them.
func Binaries() (etcd, apiserver string, err error) {
	etcd, err1 := binary(EnvEtcd, "etcd")
	apiserver, err2 := binary(EnvAPIServer, "kube-apiserver")
	return etcd, apiserver, errors.Join(err1, err2)
}

func binary(env, name string) (string, error) {
	bin, err := proc.CachePath(env, "bin", name)
	if err != nil {
		return "", err
	}
	if !proc.IsExecutable(bin) {
		return "", fmt.Errorf("%s is not at %s: run scripts/install-kube-apiserver.sh (or set %s)", name, bin, env)
	}
	return bin, nil
}

// Start runs etcd and kube-apiserver and registers their shutdown with tb.Cleanup. It returns once the API
// server's /readyz answers 200. A missing installation skips tb outside CI and fails it in CI.
func Start(tb testing.TB) *Server {
	tb.Helper()
	etcd, apiserver, err := Binaries()
	if err != nil {
		proc.SkipOrFail(tb, err)
	}
	s := &Server{tb: tb, dir: tb.TempDir(), bins: binaries{etcd: etcd, apiserver: apiserver}}
	tb.Cleanup(s.shutdown) // registered after TempDir, so it runs before the directory is removed
	if s.pki, err = newPKI(); err != nil {
		tb.Fatalf("generating certificates: %v", err)
	}
	if s.files, err = s.pki.write(s.dir); err != nil {
		tb.Fatalf("writing certificates: %v", err)
	}
	if err := s.startEtcd(); err != nil {
		tb.Fatal(err)
	}
	// The kernel picks the port and the API server binds it later: retry on a new port if it was taken.
	for range 3 {
		s.Host = "https://" + proc.MustFreeAddr(tb)
		if err = s.startAPIServer(); err == nil {
			break
		}
	}
	if err != nil {
		tb.Fatal(err)
	}
	if s.Kubeconfig, err = s.writeKubeconfig(); err != nil {
		tb.Fatalf("writing the kubeconfig: %v", err)
	}
	return s
}

// Config returns a client configuration for the admin user (group system:masters).
func (s *Server) Config() *rest.Config {
	return &rest.Config{
		Host: s.Host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData: s.pki.caPEM, CertData: s.pki.adminCert, KeyData: s.pki.adminKey,
		},
	}
}

// ConfigWithToken returns a client configuration that authenticates with a bearer token (e.g. a service
// account's, from the TokenRequest API) and trusts the server's CA.
func (s *Server) ConfigWithToken(token string) *rest.Config {
	return &rest.Config{Host: s.Host, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAData: s.pki.caPEM}}
}

// StopAPIServer stops kube-apiserver, keeping etcd and its data, to simulate an API outage.
func (s *Server) StopAPIServer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.api != nil {
		s.api.Stop(20 * time.Second)
		s.api = nil
	}
}

// RestartAPIServer starts a stopped kube-apiserver again on the same address and waits until it is ready.
func (s *Server) RestartAPIServer() {
	s.tb.Helper()
	var err error
	// The port was just released; if something grabbed it meanwhile we cannot keep the address, so fail.
	for range 20 {
		if err = s.startAPIServer(); err == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	s.tb.Fatalf("restarting kube-apiserver on %s: %v", s.Host, err)
}

// shutdown stops the API server, then etcd.
func (s *Server) shutdown() {
	s.StopAPIServer()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.etcd != nil {
		s.etcd.Stop(10 * time.Second)
		s.etcd = nil
	}
}

// startEtcd runs a single-member etcd on two free loopback ports (clients, peers) with a small quota.
func (s *Server) startEtcd() error {
	var lastErr error
	for range 3 {
		client, peer := "http://"+proc.MustFreeAddr(s.tb), "http://"+proc.MustFreeAddr(s.tb)
		p, err := proc.Start("etcd", exec.Command(s.bins.etcd,
			"--name=kamld-test",
			"--data-dir="+filepath.Join(s.dir, "etcd"),
			"--listen-client-urls="+client, "--advertise-client-urls="+client,
			"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
			"--initial-cluster=kamld-test="+peer,
			"--quota-backend-bytes="+strconv.Itoa(256<<20),
			"--unsafe-no-fsync", // test data: durability across power loss does not matter, speed does
			"--log-level=warn",
		))
		if err != nil {
			return err
		}
		if lastErr = waitReady(p, http.DefaultClient, client+"/health"); lastErr == nil {
			s.mu.Lock()
			s.etcd, s.etcdURL = p, client
			s.mu.Unlock()
			return nil
		}
	}
	return lastErr
}

// startAPIServer runs kube-apiserver on s.Host against etcd and waits for /readyz.
func (s *Server) startAPIServer() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.api != nil {
		return errors.New("kube-apiserver is already running")
	}
	_, port, _ := net.SplitHostPort(s.Host[len("https://"):])
	p, err := proc.Start("kube-apiserver", exec.Command(s.bins.apiserver, apiServerArgs(s.etcdURL, port, s.files)...))
	if err != nil {
		return err
	}
	client, err := rest.HTTPClientFor(s.Config())
	if err != nil {
		p.Stop(time.Second)
		return err
	}
	if err := waitReady(p, client, s.Host+"/readyz"); err != nil {
		return err
	}
	s.api = p
	return nil
}

// waitReady polls url until it answers 200; it stops p and fails if p exits or the timeout passes.
func waitReady(p *proc.Process, client *http.Client, url string) error {
	return p.WaitReady(context.Background(), readyTimeout, 100*time.Millisecond, func(ctx context.Context) bool {
		return proc.HTTPStatus(ctx, client, url) == http.StatusOK
	})
}

// ServiceAccountToken issues a token for a service account through the TokenRequest API, as the kubelet does
// for a Pod.
func (s *Server) ServiceAccountToken(ctx context.Context, namespace, name string) (string, error) {
	core, err := typedcore.NewForConfig(s.Config())
	if err != nil {
		return "", err
	}
	tr, err := core.ServiceAccounts(namespace).CreateToken(ctx, name, &authnv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	return tr.Status.Token, nil
}
