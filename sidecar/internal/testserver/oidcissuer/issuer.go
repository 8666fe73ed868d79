// Package oidcissuer is an OpenID Connect issuer for tests: keys the test generates, published on a real
// loopback HTTP server as the discovery document and JWKS an OIDC verifier fetches. It signs whatever
// claims a test asks for, with a published key or with one it keeps to itself, so tests can forge.
package oidcissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Issuer is a running issuer. URL is its issuer identifier (iss).
type Issuer struct {
	URL string

	mu        sync.Mutex
	published []jose.JSONWebKey // private keys; the JWKS serves their public halves
	next      int
	fetches   atomic.Int64
}

// Start runs an issuer with one RSA key (kid "rsa-1") and one EC P-256 key (kid "ec-1"), stopped when the
// test ends.
func Start(t testing.TB) *Issuer {
	t.Helper()
	is := &Issuer{}
	is.published = []jose.JSONWebKey{newKey(t, "rsa-1", jose.RS256), newKey(t, "ec-1", jose.ES256)}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	is.URL = srv.URL
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256", "ES256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		is.fetches.Add(1)
		is.mu.Lock()
		set := jose.JSONWebKeySet{}
		for _, k := range is.published {
			set.Keys = append(set.Keys, k.Public())
		}
		is.mu.Unlock()
		writeJSON(w, set)
	})
	return is
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// NewKey generates a private key of alg (RS256 or ES256) with key id kid.
func newKey(t testing.TB, kid string, alg jose.SignatureAlgorithm) jose.JSONWebKey {
	t.Helper()
	var key crypto.Signer
	var err error
	if alg == jose.ES256 {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(alg), Use: "sig"}
}

// Fetches is how often the JWKS was fetched.
func (is *Issuer) Fetches() int64 { return is.fetches.Load() }

// Rotate publishes a new RSA key and returns its kid; the old keys stay published.
func (is *Issuer) Rotate(t testing.TB) string {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.next++
	kid := fmt.Sprintf("rsa-rotated-%d", is.next)
	is.published = append(is.published, newKey(t, kid, jose.RS256))
	return kid
}

// Unpublished returns a key of the same shape as a published one that the issuer never publishes: what a
// forger holds.
func (is *Issuer) Unpublished(t testing.TB, kid string) jose.JSONWebKey {
	return newKey(t, kid, jose.RS256)
}

// Key returns the published private key with id kid.
func (is *Issuer) Key(t testing.TB, kid string) jose.JSONWebKey {
	is.mu.Lock()
	defer is.mu.Unlock()
	for _, k := range is.published {
		if k.KeyID == kid {
			return k
		}
	}
	t.Fatalf("no published key %q", kid)
	return jose.JSONWebKey{}
}

// Claims returns standard claims of a token of this issuer for audience, valid for an hour from now, plus
// extra.
func (is *Issuer) Claims(audience string, extra map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{"iss": is.URL, "aud": audience, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

// Sign signs claims with key (its alg and kid in the header).
func Sign(t testing.TB, key jose.JSONWebKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(key.Algorithm), Key: key},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatalf("claims: %v", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return s
}
