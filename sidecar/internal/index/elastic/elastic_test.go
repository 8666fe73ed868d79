package elastic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/indextest"
	"github.com/kamld/kamld/sidecar/internal/testserver/elasticsearch"
)

// server is one real Elasticsearch for the whole package (a start costs 10-20 s); each test gets its own
// alias on it. nil when it is not installed outside CI, and then the tests that need it skip.
var (
	server     *elasticsearch.Server
	serverSkip error
)

func TestMain(m *testing.M) {
	s, stop, err := elasticsearch.StartMain()
	switch {
	case errors.Is(err, elasticsearch.ErrNotInstalled):
		serverSkip = err
	case err != nil:
		fmt.Fprintln(os.Stderr, "starting Elasticsearch:", err)
		os.Exit(1)
	default:
		server = s
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

var aliasSeq atomic.Int64

// newIndex returns an index under a fresh alias on the shared server, whose indices the test deletes after.
func newIndex(t *testing.T) *Index {
	t.Helper()
	if server == nil {
		t.Skip(serverSkip)
	}
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
