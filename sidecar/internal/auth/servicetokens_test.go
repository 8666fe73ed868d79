package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeTokens(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "service-tokens.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), mode))
	return path
}

func TestServiceTokensEachTokenIsItsOwnName(t *testing.T) {
	sum := sha256.Sum256([]byte("etl-secret-0123456789"))
	path := writeTokens(t, `
- name: ci
  groups: [builders]
  token: ci-secret-0123456789
- name: etl
  token_sha256: `+hex.EncodeToString(sum[:])+"\n", 0o600)
	st, err := LoadServiceTokens(path)
	require.NoError(t, err)
	chain := NewChain([]string{"builders"}, st)
	p, err := chain.Verify(context.Background(), "ci-secret-0123456789")
	require.NoError(t, err)
	assert.Equal(t, Principal{Name: "ci", Groups: []string{"builders"}, Kind: KindService, Admin: true, Verified: true}, p)
	p, err = chain.Verify(context.Background(), "etl-secret-0123456789")
	require.NoError(t, err)
	assert.Equal(t, "etl", p.Name)
	assert.False(t, p.Admin, "etl is in no admin group")
	_, err = st.Verify(context.Background(), "ci-secret-012345678")
	assert.ErrorIs(t, err, ErrNotMine)
	_, err = chain.Verify(context.Background(), "ci-secret-012345678")
	var ce *CredentialError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, FailInvalid, ce.Failure)
}

func TestServiceTokensFileIsChecked(t *testing.T) {
	_, err := LoadServiceTokens(writeTokens(t, "- {name: ci, token: ci-secret-0123456789}\n", 0o644))
	assert.ErrorContains(t, err, "chmod 600")
	for body, want := range map[string]string{
		"- {name: ci, token: short}\n": "shorter than 16",
		"- {name: ci}\n":               "exactly one of",
		"- {name: ci, token: ci-secret-0123456789, token_sha256: aa}\n":                         "exactly one of",
		"- {name: ci, token_sha256: zz}\n":                                                      "64 hex digits",
		"- {name: ci, token: ci-secret-0123456789}\n- {name: ci, token: ci-secret-999999999}\n": "appears twice",
		"- {name: a, token: ci-secret-0123456789}\n- {name: b, token: ci-secret-0123456789}\n":  "same token",
		"- {name: ' ci', token: ci-secret-0123456789}\n":                                        "leading or trailing space",
		"- {name: ci, tokn: ci-secret-0123456789}\n":                                            "not found",
	} {
		_, err := LoadServiceTokens(writeTokens(t, body, 0o600))
		assert.ErrorContains(t, err, want, body)
	}
}

func TestServiceTokensFileMayBeJSON(t *testing.T) {
	st, err := LoadServiceTokens(writeTokens(t, `[{"name": "ci", "groups": ["g"], "token": "ci-secret-0123456789"}]`, 0o600))
	require.NoError(t, err)
	p, err := st.Verify(context.Background(), "ci-secret-0123456789")
	require.NoError(t, err)
	assert.Equal(t, []string{"g"}, p.Groups)
}
