package kubetest

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Kubelet serves the one kubelet endpoint the API server proxies for kamld: container logs
// (GET /containerLogs/{namespace}/{pod}/{container}, with follow), over TLS on loopback, registered as the
// node's kubelet endpoint. The API server reaches it exactly as it reaches a real kubelet, so a backend's
// Logs goes through the real pods/log path; the logs themselves are what the test writes with Driver.Log.
type Kubelet struct {
	srv  *httptest.Server
	mu   sync.Mutex
	logs map[string]*containerLog // "namespace/pod/container"
}

type containerLog struct {
	buf     bytes.Buffer
	ended   bool
	changed chan struct{} // closed and replaced on every write and at the end
}

// StartKubelet serves the log endpoint until tb ends. The API server does not verify a kubelet's certificate
// unless --kubelet-certificate-authority is set, which the test control plane leaves out.
func StartKubelet(tb testing.TB) *Kubelet {
	k := &Kubelet{logs: map[string]*containerLog{}}
	k.srv = httptest.NewUnstartedServer(http.HandlerFunc(k.serve))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	k.srv.Listener = l
	k.srv.StartTLS()
	tb.Cleanup(k.srv.Close)
	return k
}

// Port is the kubelet endpoint's port on 127.0.0.1.
func (k *Kubelet) Port() int32 { return int32(k.srv.Listener.Addr().(*net.TCPAddr).Port) }

func (k *Kubelet) log(key string) *containerLog {
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.logs[key]
	if l == nil {
		l = &containerLog{changed: make(chan struct{})}
		k.logs[key] = l
	}
	return l
}

// write appends to a container's log, or ends it when end is set.
func (k *Kubelet) write(key, text string, end bool) {
	l := k.log(key)
	k.mu.Lock()
	defer k.mu.Unlock()
	l.buf.WriteString(text)
	l.ended = l.ended || end
	close(l.changed)
	l.changed = make(chan struct{})
}

// since returns the log from offset, whether it has ended, and a channel closed at the next change.
func (k *Kubelet) since(key string, offset int) ([]byte, bool, <-chan struct{}) {
	l := k.log(key)
	k.mu.Lock()
	defer k.mu.Unlock()
	return bytes.Clone(l.buf.Bytes()[offset:]), l.ended, l.changed
}

func (k *Kubelet) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/")
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/containerLogs/") || len(parts) != 3 {
		http.NotFound(w, r)
		return
	}
	key := strings.Join(parts, "/")
	follow := r.URL.Query().Get("follow") == "true"
	w.Header().Set("Content-Type", "text/plain")
	offset := 0
	for {
		chunk, ended, changed := k.since(key, offset)
		if len(chunk) > 0 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			offset += len(chunk)
		}
		if !follow || ended {
			return
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return
		}
	}
}
