package dataset

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// A filter narrows one folder level by name, ignoring case, pages by matches only, and binds its tokens.
func TestListFilesFilter(t *testing.T) {
	ctx := context.Background()
	e := New(newFS(t, t.TempDir()))
	_, err := e.CreateDataset(ctx, "d", Metadata{})
	require.NoError(t, err)
	for _, p := range []string{"a/Train-1.csv", "a/test.csv", "a/train-2.csv", "a/train-3.csv", "a/trainset/x.csv", "a/zz.txt", "b/train.csv"} {
		write(t, e, "d", p, p)
	}
	opts := ListFilesOptions{Prefix: "a/", Filter: "TRAIN", Page: Page{Size: 2}}
	l, err := e.ListFiles(ctx, "d", "draft", opts)
	require.NoError(t, err)
	require.Equal(t, []string{"a/Train-1.csv", "a/train-2.csv"}, filePaths(l))
	require.NotEmpty(t, l.NextToken)
	opts.Page.Token = l.NextToken
	l, err = e.ListFiles(ctx, "d", "draft", opts)
	require.NoError(t, err)
	require.Equal(t, []string{"a/train-3.csv"}, filePaths(l))
	require.Equal(t, []string{"a/trainset/"}, l.Folders, "folders match by their own name")
	require.Empty(t, l.NextToken, "no token when no match follows")

	_, err = e.ListFiles(ctx, "d", "draft", ListFilesOptions{Prefix: "a/", Filter: "test", Page: opts.Page})
	requireInvalid(t, err, "page_token")
	l, err = e.ListFiles(ctx, "d", "draft", ListFilesOptions{Prefix: "a/", Filter: "nothing"})
	require.NoError(t, err)
	require.Empty(t, l.Files)
	require.Empty(t, l.Folders)
	l, err = e.ListFiles(ctx, "d", "draft", ListFilesOptions{Filter: "x.csv", Recursive: true})
	require.NoError(t, err)
	require.Equal(t, []string{"a/trainset/x.csv"}, filePaths(l), "recursive: the path below the prefix")

	_, err = e.ListFiles(ctx, "d", "draft", ListFilesOptions{Filter: "a\nb"})
	requireInvalid(t, err, "filter")
	_, err = e.ListFiles(ctx, "d", "draft", ListFilesOptions{Filter: string(make([]byte, MaxFilterLength+1))})
	requireInvalid(t, err, "filter")
}
