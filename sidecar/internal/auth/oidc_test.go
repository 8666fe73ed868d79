package auth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/testserver/oidcissuer"
)

const audience = "kamld"

func newOIDC(t *testing.T, is *oidcissuer.Issuer, opts ...auth.OIDCOption) *auth.OIDC {
	t.Helper()
	o, err := auth.NewOIDC(auth.OIDCConfig{Issuer: is.URL, Audience: audience, UserClaim: "preferred_username", GroupsClaim: "groups",
		ClockSkew: 30 * time.Second, Algorithms: []string{"RS256", "ES256"}}, opts...)
	require.NoError(t, err)
	return o
}

func failureOf(t *testing.T, err error) auth.Failure {
	t.Helper()
	var ce *auth.CredentialError
	require.ErrorAs(t, err, &ce)
	return ce.Failure
}

func TestOIDCUserAndServiceTokens(t *testing.T) {
	is := oidcissuer.Start(t)
	o := newOIDC(t, is)
	for _, kid := range []string{"rsa-1", "ec-1"} {
		tok := oidcissuer.Sign(t, is.Key(t, kid), is.Claims(audience, map[string]any{"sub": "u-1", "preferred_username": "alice", "groups": []string{"lab", "admins"}}))
		p, err := o.Verify(context.Background(), tok)
		require.NoError(t, err, kid)
		assert.Equal(t, auth.Principal{Name: "alice", Groups: []string{"lab", "admins"}, Kind: auth.KindUser}, p, kid)
	}
	cc := oidcissuer.Sign(t, is.Key(t, "rsa-1"), is.Claims(audience, map[string]any{"sub": "etl", "client_id": "etl"}))
	p, err := o.Verify(context.Background(), cc)
	require.NoError(t, err)
	assert.Equal(t, auth.Principal{Name: "etl", Kind: auth.KindService}, p, "a client-credentials token is the client itself")

	// A user token of the same client: sub is the user, not the client, so it is the user's.
	ut := oidcissuer.Sign(t, is.Key(t, "rsa-1"), is.Claims(audience, map[string]any{"sub": "u-2", "azp": "jupyterlab", "preferred_username": "bob"}))
	p, err = o.Verify(context.Background(), ut)
	require.NoError(t, err)
	assert.Equal(t, "bob", p.Name)
	assert.Equal(t, auth.KindUser, p.Kind)
}

func TestOIDCRefusals(t *testing.T) {
	is := oidcissuer.Start(t)
	o := newOIDC(t, is)
	key := is.Key(t, "rsa-1")
	user := map[string]any{"sub": "u-1", "preferred_username": "alice"}
	with := func(over map[string]any) map[string]any {
		c := is.Claims(audience, user)
		for k, v := range over {
			c[k] = v
		}
		return c
	}
	now := time.Now()
	for name, tc := range map[string]struct {
		token string
		want  auth.Failure
	}{
		"expired":             {oidcissuer.Sign(t, key, with(map[string]any{"exp": now.Add(-time.Minute).Unix()})), auth.FailExpired},
		"not yet valid":       {oidcissuer.Sign(t, key, with(map[string]any{"nbf": now.Add(time.Minute).Unix()})), auth.FailExpired},
		"no expiry":           {oidcissuer.Sign(t, key, with(map[string]any{"exp": nil})), auth.FailUntrusted},
		"wrong audience":      {oidcissuer.Sign(t, key, with(map[string]any{"aud": "another-service"})), auth.FailUntrusted},
		"wrong issuer":        {oidcissuer.Sign(t, key, with(map[string]any{"iss": "https://evil.example"})), auth.FailUntrusted},
		"unknown key":         {oidcissuer.Sign(t, is.Unpublished(t, "forged"), with(nil)), auth.FailUntrusted},
		"key id of another":   {oidcissuer.Sign(t, is.Unpublished(t, "rsa-1"), with(nil)), auth.FailUntrusted},
		"alg none":            {unsigned(t, with(nil)), auth.FailUntrusted},
		"HS256 by public key": {hmacSigned(t, key, with(nil)), auth.FailUntrusted},
		"no user claim":       {oidcissuer.Sign(t, key, with(map[string]any{"preferred_username": nil})), auth.FailUntrusted},
		"groups not strings":  {oidcissuer.Sign(t, key, with(map[string]any{"groups": []int{1}})), auth.FailUntrusted},
		"garbage":             {"a.b.c", auth.FailUntrusted},
	} {
		_, err := o.Verify(context.Background(), tc.token)
		assert.Equal(t, tc.want, failureOf(t, err), "%s: %v", name, err)
	}
	// Within the clock skew an expired token is still accepted (clocks differ a little).
	_, err := o.Verify(context.Background(), oidcissuer.Sign(t, key, with(map[string]any{"exp": now.Add(-10 * time.Second).Unix()})))
	assert.NoError(t, err)
	_, err = o.Verify(context.Background(), "opaque-hub-token")
	assert.ErrorIs(t, err, auth.ErrNotMine)
}

func TestOIDCConfigRefusesSymmetricAndNone(t *testing.T) {
	for _, alg := range []string{"HS256", "none", "RS1"} {
		_, err := auth.NewOIDC(auth.OIDCConfig{Issuer: "http://127.0.0.1:1", Audience: "a", UserClaim: "sub", Algorithms: []string{alg}})
		assert.ErrorContains(t, err, "refused", alg)
	}
}

// TestOIDCKeyRotation: a token signed by a key published after the first fetch is accepted once the JWKS is
// fetched again; made-up key ids cause at most one fetch per refetch interval.
func TestOIDCKeyRotation(t *testing.T) {
	is := oidcissuer.Start(t)
	o := newOIDC(t, is, auth.WithJWKSRefetch(200*time.Millisecond))
	claims := is.Claims(audience, map[string]any{"sub": "u", "preferred_username": "alice"})
	_, err := o.Verify(context.Background(), oidcissuer.Sign(t, is.Key(t, "rsa-1"), claims))
	require.NoError(t, err)
	require.EqualValues(t, 1, is.Fetches())

	forged := oidcissuer.Sign(t, is.Unpublished(t, "made-up"), claims)
	for range 20 {
		_, err = o.Verify(context.Background(), forged)
		assert.Equal(t, auth.FailUntrusted, failureOf(t, err))
	}
	assert.LessOrEqual(t, is.Fetches(), int64(2), "unknown key ids are rate-limited")

	kid := is.Rotate(t)
	time.Sleep(250 * time.Millisecond)
	p, err := o.Verify(context.Background(), oidcissuer.Sign(t, is.Key(t, kid), claims))
	require.NoError(t, err, "a rotated-in key is fetched")
	assert.Equal(t, "alice", p.Name)

	_, err = o.Verify(auth.CacheOnly(context.Background()), oidcissuer.Sign(t, is.Unpublished(t, "new"), claims))
	assert.ErrorIs(t, err, auth.ErrWouldBlock, "the tap never waits for a fetch")
}

func b64(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// unsigned is an `alg: none` token.
func unsigned(t *testing.T, claims map[string]any) string {
	return b64(t, map[string]string{"alg": "none", "typ": "JWT"}) + "." + b64(t, claims) + "."
}

// hmacSigned is the classic forgery: HS256 with the issuer's public key (which anyone can fetch) as secret.
func hmacSigned(t *testing.T, key jose.JSONWebKey, claims map[string]any) string {
	der, err := x509.MarshalPKIXPublicKey(key.Public().Key)
	require.NoError(t, err)
	input := b64(t, map[string]string{"alg": "HS256", "typ": "JWT", "kid": key.KeyID}) + "." + b64(t, claims)
	mac := hmac.New(sha256.New, der)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
