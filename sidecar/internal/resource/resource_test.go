package resource

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

func TestDatasetIDs(t *testing.T) {
	for _, ok := range []string{"iris", "a", "census-2020", "x1", strings.Repeat("a", 63)} {
		assert.NoError(t, ValidateDatasetID(ok), ok)
	}
	for _, bad := range []string{"", "Iris", "1iris", "-iris", "iris-", "ir_is", "ir is", "iris\x00", "ïris", "../x", strings.Repeat("a", 64)} {
		assert.Error(t, ValidateDatasetID(bad), "%q", bad)
	}
}

func TestTagIDs(t *testing.T) {
	for _, ok := range []string{"prod", "2024.q1", "release_1", "best-model", "v3a", "abcde", "fedcbx"} {
		assert.NoError(t, ValidateTagID(ok), ok)
	}
	for _, bad := range []string{"", "draft", "v3", "v0", "abcdef", "0123456789", "Prod", ".hidden", "a/b", "a b"} {
		assert.Error(t, ValidateTagID(bad), "%q", bad)
	}
}

func TestParseRef(t *testing.T) {
	cases := map[string]Ref{
		"":        {Kind: RefLatest},
		"draft":   {Kind: RefDraft},
		"v1":      {Kind: RefSequence, Sequence: 1},
		"v42":     {Kind: RefSequence, Sequence: 42},
		"4f2a9c":  {Kind: RefIDPrefix, Value: "4f2a9c"},
		"prod":    {Kind: RefTag, Value: "prod"},
		"2024.q1": {Kind: RefTag, Value: "2024.q1"},
		// Branches: a name reaches the head (resolved by the engine, like a tag), "~draft" the draft.
		"exp~draft":  {Kind: RefDraft, Value: "exp"},
		"main~draft": {Kind: RefDraft, Value: "main"},
	}
	for in, want := range cases {
		got, err := ParseRef(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, in, got.String())
	}
	for _, bad := range []string{"v0", "v007", "v99999999999999999999", "4F2A9C", strings.Repeat("a", 65), "a b", "../x", "Prod", "tag\x00", "~draft", "v3~draft", "draft~draft", "Exp~draft", "exp~Draft", "a~b"} {
		_, err := ParseRef(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestPaths(t *testing.T) {
	for _, ok := range []string{"train.csv", "a/b/c.parquet", "images/cat 01.png", "données/été.csv", "日本/データ.json", "..hidden", "a..b", ".gitignore"} {
		assert.NoError(t, ValidatePath(ok), ok)
	}
	for _, bad := range []string{
		"", "/etc/passwd", "../secret", "a/../../b", "a/./b", "a//b", "a/", "./a",
		"a\x00b", "a\nb", "a\\b", "a\u202eb", "a\u200bb", "a\ufeffb", "e\u0301te.csv", // NFD, not NFC
		"a\u2028b", "\xff\xfe", strings.Repeat("a", 256), strings.Repeat("a/", 600) + "a",
	} {
		assert.Error(t, ValidatePath(bad), "%q", bad)
	}
	assert.NoError(t, ValidatePrefix(""))
	assert.NoError(t, ValidatePrefix("images/"))
	assert.Error(t, ValidatePrefix("/images/"))
}

func TestShortRefs(t *testing.T) {
	cases := map[string]ShortRef{
		"iris":                {Dataset: "iris"},
		"iris@v3":             {Dataset: "iris", Ref: Ref{Kind: RefSequence, Sequence: 3}},
		"iris@v3/train.csv":   {Dataset: "iris", Ref: Ref{Kind: RefSequence, Sequence: 3}, Path: "train.csv"},
		"iris@draft/a/b.json": {Dataset: "iris", Ref: Ref{Kind: RefDraft}, Path: "a/b.json"},
		"iris/images/":        {Dataset: "iris", Path: "images/"},
		"iris@prod":           {Dataset: "iris", Ref: Ref{Kind: RefTag, Value: "prod"}},
	}
	for in, want := range cases {
		got, err := ParseShortRef(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, in, got.String())
	}
	for _, bad := range []string{"", "@v3", "iris@", "iris/", "iris@v3/../x", "Iris@v3", "iris@v3//x", "iris@@v3", "/iris"} {
		_, err := ParseShortRef(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestResourceNames(t *testing.T) {
	id, err := ParseDatasetName("name", "datasets/iris")
	require.NoError(t, err)
	assert.Equal(t, "iris", id)
	_, err = ParseDatasetName("name", "datasets/Iris")
	assert.Equal(t, codes.InvalidArgument, apierr.Code(err))
	_, err = ParseDatasetName("name", "projects/iris")
	assert.Equal(t, codes.InvalidArgument, apierr.Code(err))

	ds, child, err := ParseChildName("name", "datasets/iris/snapshots/v3", "snapshots")
	require.NoError(t, err)
	assert.Equal(t, []string{"iris", "v3"}, []string{ds, child})
	for _, bad := range []string{"datasets/iris/snapshots/", "datasets/iris/tags/x", "datasets/iris/snapshots/v3/x", "datasets//snapshots/v3"} {
		_, _, err := ParseChildName("name", bad, "snapshots")
		assert.Error(t, err, bad)
	}

	// Branch-scoped names.
	for in, want := range map[string]string{"datasets/iris": "iris", "datasets/iris@exp": "iris@exp", "datasets/iris@main": "iris"} {
		id, err := ParseScopedName("name", in)
		require.NoError(t, err, in)
		assert.Equal(t, want, id)
	}
	for _, bad := range []string{"datasets/iris@", "datasets/iris@v3", "datasets/iris@Exp", "datasets/Iris@exp", "datasets/iris@a@b"} {
		_, err := ParseScopedName("name", bad)
		assert.Equal(t, codes.InvalidArgument, apierr.Code(err), bad)
	}
	ds, child, err = ParseScopedChildName("name", "datasets/iris@exp/snapshots/v3", "snapshots")
	require.NoError(t, err)
	assert.Equal(t, []string{"iris@exp", "v3"}, []string{ds, child})
	_, _, err = ParseScopedChildName("name", "datasets/iris@exp/tags/v3", "snapshots")
	assert.Error(t, err)
}
