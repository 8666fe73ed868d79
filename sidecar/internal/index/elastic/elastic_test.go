package elastic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/indextest"
	"github.com/kamld/kamld/sidecar/internal/testserver/elasticsearch"
)

// shared is one real Elasticsearch for the whole package (a start costs 10-20 s), started by the first test
// that needs it; each test gets its own alias on it.
var shared struct {
	once   sync.Once
	server *elasticsearch.Server
	stop   func()
	err    error
}

// sharedServer returns the package's server, skipping the test when it is not installed (outside CI).
func sharedServer(t testing.TB) *elasticsearch.Server {
	t.Helper()
	shared.once.Do(func() { shared.server, shared.stop, shared.err = elasticsearch.StartMain() })
	if errors.Is(shared.err, elasticsearch.ErrNotInstalled) {
		t.Skip(shared.err)
	}
	require.NoError(t, shared.err, "starting Elasticsearch")
	return shared.server
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	os.Exit(code)
}

var aliasSeq atomic.Int64

// newIndex returns an index under a fresh alias on the shared server, whose indices the test deletes after.
func newIndex(t testing.TB) *Index {
	t.Helper()
	server := sharedServer(t)
	alias := fmt.Sprintf("kamld-test-%d-%d", time.Now().UnixNano()%1e6, aliasSeq.Add(1))
	ix, err := New(Config{URLs: []string{server.URL()}, Alias: alias})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = ix.call(ctx, req{method: http.MethodDelete, path: pathOf(alias + "-*")}, nil)
	})
	return ix
}

func TestConformance(t *testing.T) {
	indextest.Run(t, func(t *testing.T) index.Index { return newIndex(t) })
}
