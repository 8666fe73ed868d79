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

	"github.com/stretchr/testify/assert"
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

// Writes made by another sidecar (another Index on the same alias) while a rebuild fills the new generation
// survive the swap, because they go through the write alias too; after a failed rebuild they land in the
// current generation again.
func TestRebuildKeepsOtherSidecarsWrites(t *testing.T) {
	ctx := t.Context()
	ix := newIndex(t)
	other, err := New(Config{URLs: []string{sharedServer(t).URL()}, Alias: ix.alias})
	require.NoError(t, err)
	corpus := indextest.Corpus()
	require.NoError(t, ix.Upsert(ctx, corpus...))
	doc := func(id string) *index.Document {
		return &index.Document{ID: id, Description: "from another sidecar", CreateTime: time.Now(), UpdateTime: time.Now()}
	}

	err = ix.Rebuild(ctx, func(ctx context.Context, w index.Writer) error {
		require.NoError(t, other.Upsert(ctx, doc("during-rebuild")))
		require.NoError(t, other.Delete(ctx, corpus[0].ID))
		return w.Upsert(ctx, corpus...) // the fill read the store before the delete
	})
	require.NoError(t, err)
	_, err = ix.Get(ctx, "during-rebuild")
	require.NoError(t, err, "a write by another sidecar during the rebuild survives the swap")
	// The fill wrote corpus[0] after the other sidecar deleted it: that stale write wins, as for any fill that
	// races a write; the catch-up of the next change to that dataset corrects it.

	err = ix.Rebuild(ctx, func(ctx context.Context, w index.Writer) error { return assert.AnError })
	require.ErrorIs(t, err, assert.AnError)
	require.NoError(t, other.Upsert(ctx, doc("after-failed-rebuild")))
	_, err = ix.Get(ctx, "after-failed-rebuild")
	require.NoError(t, err, "after a failed rebuild the write alias is back on the current generation")
	targets, err := ix.aliasTargets(ctx, ix.writeAlias)
	require.NoError(t, err)
	current, err := ix.aliasTargets(ctx, ix.alias)
	require.NoError(t, err)
	assert.Equal(t, current, targets)
}
