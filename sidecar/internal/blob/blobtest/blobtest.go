// Package blobtest is the one conformance suite of blob.Store: every implementation runs it (blob/fs on a
// temporary directory, blob/s3 on a real MinIO) and must pass it unchanged. Tests are grouped by capability,
// like spicedb's datastore tests; an implementation that lacks an optional capability says so with an
// Option, and the suite then asserts the documented refusal instead of the behaviour.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// NewStore returns an empty store for one test; the test's cleanup closes and discards it.
type NewStore func(t *testing.T) blob.Store

// Option adjusts the suite to a store's documented limits.
type Option func(*config)

type config struct {
	conditionalDelete bool
	mover             bool
}

// WithoutMover declares that the store does not implement blob.Mover; the suite then checks nothing of it.
// blob/fs and blob/s3 both implement it.
func WithoutMover() Option { return func(c *config) { c.mover = false } }

// WithoutConditionalDelete declares that the store refuses a Delete with IfMatch (blob/s3: S3 has no
// preconditions on DELETE). The suite then checks that it answers ErrUnimplemented and deletes nothing.
func WithoutConditionalDelete() Option { return func(c *config) { c.conditionalDelete = false } }

// LargeSize is the size of the object the streaming tests write and read: large enough that buffering it
// whole would stand out against the heap, small enough for a test run.
const LargeSize = 64 << 20

// Run runs the whole suite.
func Run(t *testing.T, newStore NewStore, opts ...Option) {
	cfg := config{conditionalDelete: true, mover: true}
	for _, o := range opts {
		o(&cfg)
	}
	t.Run("PutGetStat", func(t *testing.T) { testPutGetStat(t, newStore(t)) })
	t.Run("Range", func(t *testing.T) { testRange(t, newStore(t)) })
	t.Run("List", func(t *testing.T) { testList(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, newStore(t), cfg) })
	t.Run("CreateOnly", func(t *testing.T) { testCreateOnly(t, newStore(t)) })
	t.Run("CompareAndSwap", func(t *testing.T) { testCompareAndSwap(t, newStore(t)) })
	t.Run("ConditionCheckedAtCommit", func(t *testing.T) { testConditionAtCommit(t, newStore(t)) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, newStore(t)) })
	t.Run("FailedPut", func(t *testing.T) { testFailedPut(t, newStore(t)) })
	t.Run("Sizes", func(t *testing.T) { testSizes(t, newStore(t)) })
	t.Run("Streaming", func(t *testing.T) { testStreaming(t, newStore(t)) })
	t.Run("Keys", func(t *testing.T) { testKeys(t, newStore(t)) })
	t.Run("Move", func(t *testing.T) {
		s := newStore(t)
		m, ok := s.(blob.Mover)
		require.True(t, ok || !cfg.mover, "the store must implement blob.Mover")
		if ok {
			testMove(t, s, m)
		}
	})
}

// ---- helpers -----------------------------------------------------------------------------------------------

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func put(t *testing.T, s blob.Store, key, content string) blob.Info {
	t.Helper()
	info, err := s.Put(ctxFor(t), key, strings.NewReader(content), blob.PutOptions{})
	require.NoError(t, err, "put %q", key)
	return info
}

func read(t *testing.T, s blob.Store, key string, opts blob.GetOptions) (string, blob.Info) {
	t.Helper()
	rc, info, err := s.Get(ctxFor(t), key, opts)
	require.NoError(t, err, "get %q %s", key, opts)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err, "reading %q", key)
	return string(b), info
}

func requireContent(t *testing.T, s blob.Store, key, want string) {
	t.Helper()
	got, _ := read(t, s, key, blob.GetOptions{})
	require.Equal(t, want, got, "content of %q", key)
}

func requireCode(t *testing.T, want codes.Code, err error, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.Equal(t, want, apierr.Code(err), "error %q: %v", err, msgAndArgs)
}

// ---- put, get, stat ----------------------------------------------------------------------------------------

func testPutGetStat(t *testing.T, s blob.Store) {
	ctx := ctxFor(t)

	info := put(t, s, "a/b/c.txt", "hello")
	assert.Equal(t, "a/b/c.txt", info.Key)
	assert.EqualValues(t, 5, info.Size)
	assert.NotEmpty(t, info.Version)
	assert.WithinDuration(t, time.Now(), info.ModTime, time.Minute)

	st, err := s.Stat(ctx, "a/b/c.txt")
	require.NoError(t, err)
	assert.Equal(t, info.Key, st.Key)
	assert.Equal(t, info.Size, st.Size)
	assert.Equal(t, info.Version, st.Version, "Put and Stat report the same version")

	got, gi := read(t, s, "a/b/c.txt", blob.GetOptions{})
	assert.Equal(t, "hello", got)
	assert.Equal(t, info.Version, gi.Version, "Get reports the version it reads")
	assert.EqualValues(t, 5, gi.Size)

	// Overwriting with other content changes the version.
	info2 := put(t, s, "a/b/c.txt", "hello, world")
	assert.NotEqual(t, info.Version, info2.Version)
	assert.EqualValues(t, 12, info2.Size)
	requireContent(t, s, "a/b/c.txt", "hello, world")

	// Empty and binary objects round-trip.
	put(t, s, "empty", "")
	got, gi = read(t, s, "empty", blob.GetOptions{})
	assert.Equal(t, "", got)
	assert.EqualValues(t, 0, gi.Size)
	var all [256]byte
	for i := range all {
		all[i] = byte(i)
	}
	put(t, s, "binary", string(all[:]))
	requireContent(t, s, "binary", string(all[:]))

	// Missing objects, and "folders" that only prefix other keys, are not found.
	for _, key := range []string{"missing", "a/b", "a", "a/b/c.txt/more"} {
		_, err = s.Stat(ctx, key)
		require.ErrorIs(t, err, apierr.ErrNotFound, "stat %q", key)
		_, _, err = s.Get(ctx, key, blob.GetOptions{})
		require.ErrorIs(t, err, apierr.ErrNotFound, "get %q", key)
	}
}

// ---- range reads -------------------------------------------------------------------------------------------

func testRange(t *testing.T, s blob.Store) {
	ctx := ctxFor(t)
	const content = "0123456789"
	put(t, s, "r", content)
	for _, c := range []struct {
		off, n int64
		want   string
	}{
		{0, 0, content}, {0, -1, content}, {3, 4, "3456"}, {3, 0, "3456789"}, {0, 1, "0"}, {9, 1, "9"},
		{8, 10, "89"}, {0, 100, content}, {10, 0, ""}, {10, 5, ""},
	} {
		got, info := read(t, s, "r", blob.GetOptions{Offset: c.off, Length: c.n})
		assert.Equal(t, c.want, got, "offset %d length %d", c.off, c.n)
		assert.EqualValues(t, len(content), info.Size, "Info.Size is the whole object's size")
	}
	_, _, err := s.Get(ctx, "r", blob.GetOptions{Offset: 11})
	require.ErrorIs(t, err, apierr.ErrOutOfRange)
	_, _, err = s.Get(ctx, "r", blob.GetOptions{Offset: 11, Length: 2})
	require.ErrorIs(t, err, apierr.ErrOutOfRange)
	_, _, err = s.Get(ctx, "r", blob.GetOptions{Offset: -1})
	requireCode(t, codes.InvalidArgument, err)

	put(t, s, "empty", "")
	got, _ := read(t, s, "empty", blob.GetOptions{Length: 5})
	assert.Equal(t, "", got)
	_, _, err = s.Get(ctx, "empty", blob.GetOptions{Offset: 1})
	require.ErrorIs(t, err, apierr.ErrOutOfRange)
}

// ---- list --------------------------------------------------------------------------------------------------

func testList(t *testing.T, s blob.Store) {
	ctx := ctxFor(t)
	// Keys whose byte order differs from a naive per-folder walk: '-' and '.' sort before '/', 'é' after 'z'.
	keys := []string{"a/c/e", "a.c", "a/b", "a/c/d", "a-", "ab", "a/c.d", "b", "é/x", "z", "a/c/d0"}
	infos := map[string]blob.Info{}
	for i, k := range keys {
		infos[k] = put(t, s, k, strings.Repeat("x", i))
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted) // Go compares strings bytewise, as S3 does

	listKeys := func(opts blob.ListOptions) ([]string, bool) {
		t.Helper()
		page, err := s.List(ctx, opts)
		require.NoError(t, err, "list %+v", opts)
		var out []string
		for _, o := range page.Objects {
			out = append(out, o.Key)
		}
		return out, page.More
	}

	page, err := s.List(ctx, blob.ListOptions{})
	require.NoError(t, err)
	require.False(t, page.More)
	var got []string
	for _, o := range page.Objects {
		got = append(got, o.Key)
		assert.Equal(t, infos[o.Key].Size, o.Size, "size of %q", o.Key)
		assert.Equal(t, infos[o.Key].Version, o.Version, "version of %q", o.Key)
	}
	require.Equal(t, sorted, got, "all keys, in byte order")

	filter := func(pred func(string) bool) []string {
		var out []string
		for _, k := range sorted {
			if pred(k) {
				out = append(out, k)
			}
		}
		return out
	}
	for _, prefix := range []string{"a", "a/", "a/c", "a/c/", "a/c/d", "é", "zz", "b"} {
		got, more := listKeys(blob.ListOptions{Prefix: prefix})
		assert.Equal(t, filter(func(k string) bool { return strings.HasPrefix(k, prefix) }), got, "prefix %q", prefix)
		assert.False(t, more, "prefix %q", prefix)
	}
	for _, after := range []string{"a", "a/", "a/c", "a/c/d", "a/c/d0", "a0", "b", "z", "zz", "é/x"} {
		got, _ := listKeys(blob.ListOptions{StartAfter: after})
		assert.Equal(t, filter(func(k string) bool { return k > after }), got, "start after %q", after)
	}
	got, _ = listKeys(blob.ListOptions{Prefix: "a/", StartAfter: "a/c.d"})
	assert.Equal(t, []string{"a/c/d", "a/c/d0", "a/c/e"}, got)

	// Paging with a small limit visits every key once, in order.
	for _, limit := range []int{1, 2, 3, len(keys), len(keys) + 1} {
		var all []string
		after := ""
		for pages := 0; ; pages++ {
			require.Less(t, pages, 100, "paging does not end")
			page, err := s.List(ctx, blob.ListOptions{StartAfter: after, Limit: limit})
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.Objects), limit)
			for _, o := range page.Objects {
				all = append(all, o.Key)
			}
			if !page.More {
				break
			}
			require.NotEmpty(t, page.Objects, "More with an empty page")
			after = page.Objects[len(page.Objects)-1].Key
		}
		assert.Equal(t, sorted, all, "limit %d", limit)
	}
	got, more := listKeys(blob.ListOptions{Limit: 2})
	assert.Equal(t, sorted[:2], got)
	assert.True(t, more)

	for _, limit := range []int{-1, blob.MaxListLimit + 1} {
		_, err := s.List(ctx, blob.ListOptions{Limit: limit})
		requireCode(t, codes.InvalidArgument, err, "limit %d", limit)
	}

	// Deleted keys are gone from listings.
	require.NoError(t, s.Delete(ctx, "a/c/d", blob.DeleteOptions{}))
	got, _ = listKeys(blob.ListOptions{Prefix: "a/c/"})
	assert.Equal(t, []string{"a/c/d0", "a/c/e"}, got)
}

// ---- delete ------------------------------------------------------------------------------------------------

func testDelete(t *testing.T, s blob.Store, cfg config) {
	ctx := ctxFor(t)
	put(t, s, "d/x", "1")
	require.NoError(t, s.Delete(ctx, "d/x", blob.DeleteOptions{}))
	_, err := s.Stat(ctx, "d/x")
	require.ErrorIs(t, err, apierr.ErrNotFound)
	require.NoError(t, s.Delete(ctx, "d/x", blob.DeleteOptions{}), "deleting a missing key is not an error")
	require.NoError(t, s.Delete(ctx, "never/was", blob.DeleteOptions{}))

	// A deleted key can be created again, create-only.
	_, err = s.Put(ctx, "d/x", strings.NewReader("2"), blob.PutOptions{IfNoneMatch: true})
	require.NoError(t, err)
	requireContent(t, s, "d/x", "2")

	v1 := put(t, s, "d/y", "1").Version
	if !cfg.conditionalDelete {
		err := s.Delete(ctx, "d/y", blob.DeleteOptions{IfMatch: v1})
		require.ErrorIs(t, err, apierr.ErrUnimplemented)
		requireContent(t, s, "d/y", "1")
		return
	}
	v2 := put(t, s, "d/y", "2").Version
	err = s.Delete(ctx, "d/y", blob.DeleteOptions{IfMatch: v1})
	require.ErrorIs(t, err, apierr.ErrAborted, "stale version")
	requireContent(t, s, "d/y", "2")
	require.NoError(t, s.Delete(ctx, "d/y", blob.DeleteOptions{IfMatch: v2}))
	_, err = s.Stat(ctx, "d/y")
	require.ErrorIs(t, err, apierr.ErrNotFound)
	err = s.Delete(ctx, "d/y", blob.DeleteOptions{IfMatch: v2})
	require.ErrorIs(t, err, apierr.ErrAborted, "conditional delete of a missing object")
}

// ---- create-only -------------------------------------------------------------------------------------------

func testCreateOnly(t *testing.T, s blob.Store) {
	ctx := ctxFor(t)
	info, err := s.Put(ctx, "c", strings.NewReader("first"), blob.PutOptions{IfNoneMatch: true})
	require.NoError(t, err)
	_, err = s.Put(ctx, "c", strings.NewReader("second"), blob.PutOptions{IfNoneMatch: true})
	require.ErrorIs(t, err, apierr.ErrAlreadyExists)
	requireCode(t, codes.AlreadyExists, err)
	got, gi := read(t, s, "c", blob.GetOptions{})
	assert.Equal(t, "first", got, "a failed create-only put changes nothing")
	assert.Equal(t, info.Version, gi.Version)

	// Even identical content is refused: create-only is about existence.
	_, err = s.Put(ctx, "c", strings.NewReader("first"), blob.PutOptions{IfNoneMatch: true})
	require.ErrorIs(t, err, apierr.ErrAlreadyExists)

	_, err = s.Put(ctx, "c", strings.NewReader("x"), blob.PutOptions{IfNoneMatch: true, IfMatch: info.Version})
	requireCode(t, codes.InvalidArgument, err, "both conditions")
	requireContent(t, s, "c", "first")
}

// ---- compare-and-swap --------------------------------------------------------------------------------------

func testCompareAndSwap(t *testing.T, s blob.Store) {
	ctx := ctxFor(t)
	v1 := put(t, s, "p", "one").Version

	i2, err := s.Put(ctx, "p", strings.NewReader("two"), blob.PutOptions{IfMatch: v1})
	require.NoError(t, err)
	require.NotEqual(t, v1, i2.Version)
	st, err := s.Stat(ctx, "p")
	require.NoError(t, err)
	require.Equal(t, i2.Version, st.Version, "the version Put returns is the one to swap against next")

	_, err = s.Put(ctx, "p", strings.NewReader("three"), blob.PutOptions{IfMatch: v1})
	require.ErrorIs(t, err, apierr.ErrAborted, "stale version")
	requireCode(t, codes.Aborted, err)
	requireContent(t, s, "p", "two")

	_, err = s.Put(ctx, "p", strings.NewReader("three"), blob.PutOptions{IfMatch: "not-a-version"})
	require.ErrorIs(t, err, apierr.ErrAborted)
	requireContent(t, s, "p", "two")

	_, err = s.Put(ctx, "nothing-here", strings.NewReader("x"), blob.PutOptions{IfMatch: v1})
	require.ErrorIs(t, err, apierr.ErrAborted, "compare-and-swap on a missing object")
	_, err = s.Stat(ctx, "nothing-here")
	require.ErrorIs(t, err, apierr.ErrNotFound)

	_, err = s.Put(ctx, "p", strings.NewReader("three"), blob.PutOptions{IfMatch: i2.Version})
	require.NoError(t, err)
	requireContent(t, s, "p", "three")
}

// testConditionAtCommit proves that a condition is checked when a write commits, not when it starts: a
// conditional Put whose content is still streaming while another writer commits must fail. The content is
// long enough to need several parts on S3, where the check on the final CompleteMultipartUpload is what
// makes this hold.
func testConditionAtCommit(t *testing.T, s blob.Store) {
	ctx := ctxFor(t)
	const size = 20 << 20
	run := func(t *testing.T, key string, opts blob.PutOptions, wantErr error) {
		src := newPausingReader(size, 12<<20)
		done := make(chan error, 1)
		go func() {
			_, err := s.Put(ctx, key, src, opts)
			done <- err
		}()
		select {
		case <-src.paused:
		case err := <-done:
			t.Fatalf("put finished before its content did: %v", err)
		}
		winner := put(t, s, key, "the other writer")
		close(src.resume)
		err := <-done
		require.ErrorIs(t, err, wantErr)
		got, info := read(t, s, key, blob.GetOptions{})
		assert.Equal(t, "the other writer", got)
		assert.Equal(t, winner.Version, info.Version)
	}
	t.Run("IfNoneMatch", func(t *testing.T) {
		run(t, "commit/create", blob.PutOptions{IfNoneMatch: true}, apierr.ErrAlreadyExists)
	})
	t.Run("IfMatch", func(t *testing.T) {
		v := put(t, s, "commit/swap", "before").Version
		run(t, "commit/swap", blob.PutOptions{IfMatch: v}, apierr.ErrAborted)
	})
}

// pausingReader yields size bytes, stopping after pauseAt until resume is closed.
type pausingReader struct {
	size, pauseAt, off int64
	paused, resume     chan struct{}
}

func newPausingReader(size, pauseAt int64) *pausingReader {
	return &pausingReader{size: size, pauseAt: pauseAt, paused: make(chan struct{}), resume: make(chan struct{})}
}

func (r *pausingReader) Read(p []byte) (int, error) {
	if r.off == r.pauseAt {
		close(r.paused)
		<-r.resume
		r.pauseAt = -1
	}
	if r.off >= r.size {
		return 0, io.EOF
	}
	limit := r.size
	if r.pauseAt > r.off {
		limit = r.pauseAt
	}
	n := int(min(int64(len(p)), limit-r.off))
	for i := range n {
		p[i] = byte(r.off + int64(i))
	}
	r.off += int64(n)
	return n, nil
}

// ---- concurrency -------------------------------------------------------------------------------------------

func testConcurrency(t *testing.T, s blob.Store) {
	const writers = 16

	t.Run("CreateOnlyOneWins", func(t *testing.T) {
		ctx := ctxFor(t)
		var wins atomic.Int32
		winner := make(chan string, writers)
		errs := race(writers, func(i int) error {
			content := "writer " + strconv.Itoa(i)
			_, err := s.Put(ctx, "race/create", strings.NewReader(content), blob.PutOptions{IfNoneMatch: true})
			if err == nil {
				wins.Add(1)
				winner <- content
			}
			return err
		})
		require.EqualValues(t, 1, wins.Load(), "exactly one create-only put wins")
		for _, err := range errs {
			if err != nil {
				require.ErrorIs(t, err, apierr.ErrAlreadyExists)
			}
		}
		requireContent(t, s, "race/create", <-winner)
	})

	t.Run("CompareAndSwapOneWins", func(t *testing.T) {
		ctx := ctxFor(t)
		v0 := put(t, s, "race/cas", "initial").Version
		var wins atomic.Int32
		winner := make(chan string, writers)
		errs := race(writers, func(i int) error {
			content := "writer " + strconv.Itoa(i)
			_, err := s.Put(ctx, "race/cas", strings.NewReader(content), blob.PutOptions{IfMatch: v0})
			if err == nil {
				wins.Add(1)
				winner <- content
			}
			return err
		})
		require.EqualValues(t, 1, wins.Load(), "exactly one compare-and-swap from the same version wins")
		for _, err := range errs {
			if err != nil {
				require.ErrorIs(t, err, apierr.ErrAborted)
			}
		}
		requireContent(t, s, "race/cas", <-winner)
	})

	t.Run("CounterLosesNoUpdate", func(t *testing.T) {
		// Read-modify-write loops retrying on ErrAborted: the final count proves no increment was lost.
		ctx := ctxFor(t)
		const workers, increments = 8, 10
		put(t, s, "race/counter", "0")
		var retries atomic.Int32
		errs := race(workers, func(int) error {
			for range increments {
				lost, err := IncrementCounter(ctx, s, "race/counter")
				retries.Add(int32(lost))
				if err != nil {
					return err
				}
			}
			return nil
		})
		for _, err := range errs {
			require.NoError(t, err)
		}
		requireContent(t, s, "race/counter", strconv.Itoa(workers*increments))
		t.Logf("%d increments by %d workers, %d lost races retried", workers*increments, workers, retries.Load())
	})

	t.Run("ReadersSeeWholeVersions", func(t *testing.T) {
		// Readers racing a writer that alternates two contents see one or the other, whole.
		ctx := ctxFor(t)
		a, b := strings.Repeat("a", 300<<10), strings.Repeat("b", 200<<10)
		put(t, s, "race/torn", a)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				content := a
				if i%2 == 0 {
					content = b
				}
				if _, err := s.Put(ctx, "race/torn", strings.NewReader(content), blob.PutOptions{}); err != nil {
					t.Errorf("writer: %v", err)
					return
				}
			}
		})
		for range 50 {
			got, info := read(t, s, "race/torn", blob.GetOptions{})
			if got != a && got != b {
				t.Fatalf("read %d bytes that are neither version (starting %q)", len(got), got[:min(len(got), 16)])
			}
			require.EqualValues(t, len(got), info.Size, "Info describes the content read")
		}
		close(stop)
		wg.Wait()
	})
}

// race runs n functions at once, released together, and returns their errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// ---- failed puts -------------------------------------------------------------------------------------------

var errSource = errors.New("the client went away")

// failingReader yields n bytes and then fails.
type failingReader struct{ n, off int64 }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, errSource
	}
	k := int(min(int64(len(p)), r.n-r.off))
	clear(p[:k])
	r.off += int64(k)
	return k, nil
}

func testFailedPut(t *testing.T, s blob.Store) {
	ctx := ctxFor(t)
	// Both a short content (one request on S3) and a long one (a multipart upload on S3).
	for _, n := range []int64{1 << 10, 20 << 20} {
		put(t, s, "f/existing", "previous")
		_, err := s.Put(ctx, "f/existing", &failingReader{n: n}, blob.PutOptions{})
		require.ErrorIs(t, err, errSource, "the source's error comes back (after %d bytes)", n)
		requireContent(t, s, "f/existing", "previous")

		_, err = s.Put(ctx, "f/new", &failingReader{n: n}, blob.PutOptions{IfNoneMatch: true})
		require.ErrorIs(t, err, errSource)
		_, err = s.Stat(ctx, "f/new")
		require.ErrorIs(t, err, apierr.ErrNotFound, "a failed put leaves no object (after %d bytes)", n)
	}

	// A cancelled context stops a put mid-stream and leaves nothing behind.
	cctx, cancel := context.WithCancel(ctx)
	src := newPausingReader(20<<20, 10<<20)
	done := make(chan error, 1)
	go func() {
		_, err := s.Put(cctx, "f/cancelled", src, blob.PutOptions{})
		done <- err
	}()
	<-src.paused
	cancel()
	close(src.resume)
	require.ErrorIs(t, <-done, context.Canceled)
	_, err := s.Stat(ctx, "f/cancelled")
	require.ErrorIs(t, err, apierr.ErrNotFound)

	page, err := s.List(ctx, blob.ListOptions{Prefix: "f/"})
	require.NoError(t, err)
	require.Len(t, page.Objects, 1, "only the object that was written whole is listed")
}

// ---- sizes ------------------------------------------------------------------------------------------------

// testSizes round-trips contents at the sizes where stores change strategy (buffer sizes, S3's 5 MiB minimum
// part, the s3 store's default 8 MiB part): one byte off must not lose or repeat one.
func testSizes(t *testing.T, s blob.Store) {
	ctx := ctxFor(t)
	const k, m = 1 << 10, 1 << 20
	for _, size := range []int64{0, 1, 32*k - 1, 32 * k, 256*k - 1, 256 * k, 256*k + 1, 5 * m, 8*m - 1, 8 * m, 8*m + 1, 16*m + 3} {
		key := "size/" + strconv.FormatInt(size, 10)
		gen := newGenerator(size)
		info, err := s.Put(ctx, key, gen, blob.PutOptions{IfNoneMatch: true})
		require.NoError(t, err, "put %d bytes", size)
		require.Equal(t, size, info.Size, "put %d bytes", size)
		rc, gi, err := s.Get(ctx, key, blob.GetOptions{})
		require.NoError(t, err)
		h := sha256.New()
		n, err := io.Copy(h, rc)
		require.NoError(t, rc.Close())
		require.NoError(t, err)
		require.Equal(t, size, n)
		require.Equal(t, size, gi.Size)
		require.Equal(t, info.Version, gi.Version)
		require.Equal(t, gen.sum(), h.Sum(nil), "content of %d bytes", size)
		require.NoError(t, s.Delete(ctx, key, blob.DeleteOptions{}))
	}
}

// ---- streaming ---------------------------------------------------------------------------------------------

// testStreaming writes and reads a LargeSize object through a generator and a hash, never holding it, and
// checks that the heap stays far below the object's size: a store that buffered the object would fail.
func testStreaming(t *testing.T, s blob.Store) {
	ctx := ctxFor(t)
	const budget = LargeSize / 4

	gen := newGenerator(LargeSize)
	mem := newHeapSampler()
	gen.sample = mem.sample
	start := time.Now()
	info, err := s.Put(ctx, "large/object.bin", gen, blob.PutOptions{IfNoneMatch: true})
	require.NoError(t, err)
	putTime := time.Since(start)
	require.EqualValues(t, LargeSize, info.Size)
	growth := mem.growth()
	t.Logf("put %d MiB in %s; live heap grew at most %.1f MiB", LargeSize>>20, putTime.Round(time.Millisecond), float64(growth)/(1<<20))
	require.Less(t, growth, int64(budget), "heap grew by %d bytes while writing a %d-byte object: the store buffers it", growth, LargeSize)

	// Read it back through a hash, sampling the heap as it streams.
	rc, gi, err := s.Get(ctx, "large/object.bin", blob.GetOptions{})
	require.NoError(t, err)
	require.EqualValues(t, LargeSize, gi.Size)
	require.Equal(t, info.Version, gi.Version)
	mem = newHeapSampler()
	h := sha256.New()
	start = time.Now()
	n, err := io.Copy(&sampledWriter{w: h, sample: mem.sample}, rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	getTime := time.Since(start)
	require.EqualValues(t, LargeSize, n)
	require.Equal(t, gen.sum(), h.Sum(nil), "the object reads back as written")
	growth = mem.growth()
	t.Logf("got %d MiB in %s; live heap grew at most %.1f MiB", LargeSize>>20, getTime.Round(time.Millisecond), float64(growth)/(1<<20))
	require.Less(t, growth, int64(budget), "heap grew by %d bytes while reading a %d-byte object", growth, LargeSize)

	// A range deep inside the object.
	const off, length = 50<<20 + 3, 1 << 20
	got, _ := read(t, s, "large/object.bin", blob.GetOptions{Offset: off, Length: length})
	want := make([]byte, length)
	fill(want, off)
	require.True(t, bytes.Equal(want, []byte(got)), "range %d+%d of the large object", off, length)

	// Conditions hold on large writes too.
	_, err = s.Put(ctx, "large/object.bin", newGenerator(LargeSize/2), blob.PutOptions{IfNoneMatch: true})
	require.ErrorIs(t, err, apierr.ErrAlreadyExists)
	_, err = s.Put(ctx, "large/object.bin", newGenerator(LargeSize/2), blob.PutOptions{IfMatch: "stale"})
	require.ErrorIs(t, err, apierr.ErrAborted)
	i2, err := s.Put(ctx, "large/object.bin", newGenerator(LargeSize/2), blob.PutOptions{IfMatch: info.Version})
	require.NoError(t, err)
	require.EqualValues(t, LargeSize/2, i2.Size)
	require.NotEqual(t, info.Version, i2.Version)
}

// generator yields size deterministic bytes (fill), hashing them as they go; it never holds more than the
// caller's buffer.
type generator struct {
	size, off int64
	h         interface {
		io.Writer
		Sum([]byte) []byte
	}
	sample     func()
	nextSample int64
}

func newGenerator(size int64) *generator { return &generator{size: size, h: sha256.New()} }

func (g *generator) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), g.size-g.off))
	fill(p[:n], g.off)
	g.h.Write(p[:n])
	g.off += int64(n)
	if g.sample != nil && g.off >= g.nextSample {
		g.sample()
		g.nextSample = g.off + 4<<20
	}
	return n, nil
}

func (g *generator) sum() []byte { return g.h.Sum(nil) }

// fill writes the generator's bytes for offsets off.. into p: a cheap function of the offset that does not
// repeat with any small period, so misplaced ranges and parts show.
func fill(p []byte, off int64) {
	for i := range p {
		x := uint64(off + int64(i))
		x ^= x >> 7
		x *= 0x9E3779B97F4A7C15
		p[i] = byte(x >> 56)
	}
}

// heapSampler records the peak of the live heap (after a forced collection, so garbage does not count)
// relative to when it was made.
type heapSampler struct {
	base, peak int64
}

func newHeapSampler() *heapSampler {
	// Two collections empty every sync.Pool (the first moves pooled objects to the victim cache, the second
	// frees them), so buffers a store keeps pooled from earlier calls count as growth when it takes them.
	runtime.GC()
	return &heapSampler{base: liveHeap()}
}

func (m *heapSampler) sample() { m.peak = max(m.peak, liveHeap()) }

func (m *heapSampler) growth() int64 { return max(0, m.peak-m.base) }

func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

type sampledWriter struct {
	w         io.Writer
	sample    func()
	n, nextAt int64
}

func (w *sampledWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.n += int64(n)
	if w.n >= w.nextAt {
		w.sample()
		w.nextAt = w.n + 4<<20
	}
	return n, err
}

// ---- keys --------------------------------------------------------------------------------------------------

// BadKeys are keys every store must refuse with InvalidArgument.
var BadKeys = []string{
	"", "/a", "a/", "/", "a//b", "a/./b", "a/../b", "..", ".", "../a", "a/..",
	"a\x00b", "a\nb", "\tx", "a\x7fb", "a\u0085b", "bad\xffutf8",
	strings.Repeat("k", blob.MaxKeyBytes+1), "a/" + strings.Repeat("s", blob.MaxSegmentBytes+1),
}

// GoodKeys are unusual keys every store must hold.
var GoodKeys = []string{
	"a/.hidden", "a/..b", "a/b.", "...", "x y/z+1=2", "ключ/数据/😀", "a/b~c!$&'()*,;=@[]", "100%/#frag?q",
	strings.Repeat("k", blob.MaxSegmentBytes) + "/" + strings.Repeat("s", blob.MaxSegmentBytes),
}

func testKeys(t *testing.T, s blob.Store) {
	ctx := ctxFor(t)
	for _, key := range BadKeys {
		name := fmt.Sprintf("%.40q", key)
		_, err := s.Put(ctx, key, strings.NewReader("x"), blob.PutOptions{})
		requireCode(t, codes.InvalidArgument, err, "put %s", name)
		_, _, err = s.Get(ctx, key, blob.GetOptions{})
		requireCode(t, codes.InvalidArgument, err, "get %s", name)
		_, err = s.Stat(ctx, key)
		requireCode(t, codes.InvalidArgument, err, "stat %s", name)
		err = s.Delete(ctx, key, blob.DeleteOptions{})
		requireCode(t, codes.InvalidArgument, err, "delete %s", name)
	}
	for _, prefix := range []string{"/a", "a//", "a/../", "a\x00", "\xff"} {
		_, err := s.List(ctx, blob.ListOptions{Prefix: prefix})
		requireCode(t, codes.InvalidArgument, err, "list prefix %q", prefix)
		_, err = s.List(ctx, blob.ListOptions{StartAfter: prefix})
		requireCode(t, codes.InvalidArgument, err, "list start after %q", prefix)
	}
	page, err := s.List(ctx, blob.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, page.Objects, "no bad key was stored")

	for _, key := range GoodKeys {
		put(t, s, key, "content of "+key)
		requireContent(t, s, key, "content of "+key)
	}
	page, err = s.List(ctx, blob.ListOptions{})
	require.NoError(t, err)
	var got []string
	for _, o := range page.Objects {
		got = append(got, o.Key)
	}
	want := slices.Clone(GoodKeys)
	slices.Sort(want)
	require.Equal(t, want, got)
	for _, key := range GoodKeys {
		require.NoError(t, s.Delete(ctx, key, blob.DeleteOptions{}))
	}
	page, err = s.List(ctx, blob.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, page.Objects)
}

// IncrementCounter adds one to the decimal counter at key with a read-modify-write loop that retries lost
// compare-and-swap races; it returns how many races it lost. Used by the suite and by backends' own
// cross-process tests.
func IncrementCounter(ctx context.Context, s blob.Store, key string) (lostRaces int, err error) {
	for {
		rc, info, err := s.Get(ctx, key, blob.GetOptions{})
		if err != nil {
			return lostRaces, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return lostRaces, err
		}
		n, err := strconv.Atoi(string(b))
		if err != nil {
			return lostRaces, fmt.Errorf("counter holds %q: %w", b, err)
		}
		_, err = s.Put(ctx, key, strings.NewReader(strconv.Itoa(n+1)), blob.PutOptions{IfMatch: info.Version})
		if !errors.Is(err, apierr.ErrAborted) {
			return lostRaces, err
		}
		lostRaces++
	}
}
