package auth

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenGeneratedPrivateAndStable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "token")
	tok, err := LoadOrCreateToken(path)
	require.NoError(t, err)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	assert.Len(t, tok.Value(), 64)
	again, err := LoadOrCreateToken(path)
	require.NoError(t, err)
	assert.Equal(t, tok.Value(), again.Value())
	assert.True(t, tok.Matches(again.Value()))
	assert.False(t, tok.Matches(tok.Value()[:63]))
	assert.False(t, Token{}.Matches(""))
}

func TestTokenFileReadableByOthersIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(path, []byte("0123456789abcdef0123\n"), 0o644))
	_, err := LoadOrCreateToken(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chmod 600")
}

func TestShortTokenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(path, []byte("short\n"), 0o600))
	_, err := LoadOrCreateToken(path)
	assert.Error(t, err)
}

func TestValidIdentity(t *testing.T) {
	for _, ok := range []string{"alice", "bob@example.org", "Jörg Müller", "u-1"} {
		assert.NoError(t, ValidIdentity(ok), ok)
	}
	for _, bad := range []string{"", " alice", "alice\n", "a\x00b", string(make([]byte, 300))} {
		assert.Error(t, ValidIdentity(bad), "%q", bad)
	}
}

func TestTokenFromValue(t *testing.T) {
	tok, err := TokenFromValue("  0123456789abcdef\n")
	require.NoError(t, err)
	assert.True(t, tok.Matches("0123456789abcdef"), "surrounding whitespace from a Secret is not part of it")
	_, err = TokenFromValue("short")
	assert.ErrorContains(t, err, "auth.token")
}
