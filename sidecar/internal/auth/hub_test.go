package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Hub verifier against a real JupyterHub is tested in labextension/tests/test_shared_hub.py; these are
// the rules it applies to the Hub's answer.

func TestHubScopeRules(t *testing.T) {
	want := "custom:kamld:use"
	for scopes, ok := range map[string]bool{
		"custom:kamld:use":                  true,
		"custom:kamld:use!user=alice":       true,
		"custom:kamld:use!user":             true,
		"custom:kamld:use!user=bob":         false,
		"custom:kamld:use!group=lab":        false,
		"custom:kamld:usex":                 false,
		"custom:kamld:admin custom:kamld:u": false,
	} {
		assert.Equal(t, ok, holdsScope(strings.Fields(scopes), want, "alice"), scopes)
	}
}

func TestHubPrincipalFromTheAnswer(t *testing.T) {
	h, err := NewHub("http://127.0.0.1:1/hub/api", time.Second, WithHubScope("custom:kamld:use"))
	require.NoError(t, err)
	a := h.principal(hubModel{Kind: "user", Name: "alice", Groups: []string{"lab"}, Scopes: []string{"custom:kamld:use!user=alice"}})
	require.NoError(t, a.err)
	assert.Equal(t, Principal{Name: "alice", Groups: []string{"lab"}, Kind: KindUser}, a.p)
	a = h.principal(hubModel{Kind: "service", Name: "etl", Scopes: []string{"custom:kamld:use"}})
	require.NoError(t, a.err)
	assert.Equal(t, KindService, a.p.Kind)
	a = h.principal(hubModel{Kind: "user", Name: "carol"})
	var ce *CredentialError
	require.ErrorAs(t, a.err, &ce)
	assert.Equal(t, FailScope, ce.Failure)

	_, err = h.Verify(context.Background(), "a.b.c")
	assert.ErrorIs(t, err, ErrNotMine, "a JWT is not a Hub token")
	_, err = h.Verify(CacheOnly(context.Background()), "opaque")
	assert.ErrorIs(t, err, ErrWouldBlock, "the tap never waits for the Hub")
	_, err = h.Verify(context.Background(), "opaque")
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, FailUnavailable, ce.Failure, "an unreachable Hub is UNAVAILABLE, not a refusal")

	for _, bad := range []string{"ftp://hub", "hub:8081", ""} {
		_, err := NewHub(bad, time.Second)
		assert.Error(t, err, bad)
	}
	_, err = NewHub("http://hub/api", time.Second, WithHubScope("admin:users"))
	assert.ErrorContains(t, err, "custom scope")
}
