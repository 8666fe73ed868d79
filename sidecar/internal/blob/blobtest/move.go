package blobtest

import (
	"crypto/sha256"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// testMove checks blob.Mover: the content arrives whole under the new key with a real version, the old key
// is gone, a missing source or a bad key changes nothing, and a large object moves without being read.
func testMove(t *testing.T, s blob.Store, m blob.Mover) {
	ctx := ctxFor(t)
	before := time.Now().Add(-time.Minute)
	put(t, s, "mv/src", "hello")
	info, err := m.Move(ctx, "mv/src", "mv/to/dst")
	require.NoError(t, err)
	require.Equal(t, "mv/to/dst", info.Key)
	require.EqualValues(t, 5, info.Size)
	require.NotEmpty(t, info.Version)
	require.True(t, info.ModTime.After(before), "a moved object is new: %s", info.ModTime)
	got, gi := read(t, s, "mv/to/dst", blob.GetOptions{})
	require.Equal(t, "hello", got)
	require.Equal(t, info.Version, gi.Version, "Move returns the version a compare-and-swap names")
	_, err = s.Stat(ctx, "mv/src")
	require.ErrorIs(t, err, apierr.ErrNotFound)
	p, err := s.List(ctx, blob.ListOptions{Prefix: "mv/"})
	require.NoError(t, err)
	require.Len(t, p.Objects, 1)
	require.Equal(t, "mv/to/dst", p.Objects[0].Key)

	// Onto an existing object: replaced, with a new version that compare-and-swap accepts.
	old := put(t, s, "mv/old", "old content")
	put(t, s, "mv/new", "new content")
	info, err = m.Move(ctx, "mv/new", "mv/old")
	require.NoError(t, err)
	require.NotEqual(t, old.Version, info.Version)
	requireContent(t, s, "mv/old", "new content")
	_, err = s.Put(ctx, "mv/old", strings.NewReader("after"), blob.PutOptions{IfMatch: old.Version})
	require.ErrorIs(t, err, apierr.ErrAborted)
	_, err = s.Put(ctx, "mv/old", strings.NewReader("after"), blob.PutOptions{IfMatch: info.Version})
	require.NoError(t, err)

	// A missing source, and bad keys, change nothing.
	_, err = m.Move(ctx, "mv/none", "mv/old")
	require.ErrorIs(t, err, apierr.ErrNotFound)
	requireContent(t, s, "mv/old", "after")
	_, err = m.Move(ctx, "../x", "mv/old")
	requireCode(t, codes.InvalidArgument, err)
	_, err = m.Move(ctx, "mv/old", "mv//bad")
	requireCode(t, codes.InvalidArgument, err)
	requireContent(t, s, "mv/old", "after")

	// Many moves at once out of one folder (which the last one empties) and into another.
	const n = 32
	for i := range n {
		put(t, s, "mv/many/"+strconv.Itoa(i), "content "+strconv.Itoa(i))
	}
	for i, err := range race(n, func(i int) error {
		_, err := m.Move(ctx, "mv/many/"+strconv.Itoa(i), "mv/moved/"+strconv.Itoa(i))
		return err
	}) {
		require.NoError(t, err, "move %d", i)
		requireContent(t, s, "mv/moved/"+strconv.Itoa(i), "content "+strconv.Itoa(i))
	}
	p, err = s.List(ctx, blob.ListOptions{Prefix: "mv/many/"})
	require.NoError(t, err)
	require.Empty(t, p.Objects)

	// A large object moves whole.
	gen := newGenerator(LargeSize)
	_, err = s.Put(ctx, "mv/large", gen, blob.PutOptions{})
	require.NoError(t, err)
	info, err = m.Move(ctx, "mv/large", "mv/large-moved")
	require.NoError(t, err)
	require.EqualValues(t, LargeSize, info.Size)
	rc, _, err := s.Get(ctx, "mv/large-moved", blob.GetOptions{})
	require.NoError(t, err)
	h := sha256.New()
	_, err = io.Copy(h, rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, gen.sum(), h.Sum(nil))
}
