package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/testserver/oidcissuer"
)

// Service tokens of the shared-mode tests: each names its holder.
const (
	aliceServiceToken = "alice-service-token-0123456789"
	bobServiceToken   = "bob-service-token-0123456789"
)

// startSharedSidecar runs a sidecar in shared mode whose callers are authenticated by a service tokens file
// (alice in the admins group, bob not), plus whatever mutate adds (a Hub, an OIDC issuer).
func startSharedSidecar(t *testing.T, mutate ...func(*config.Config)) *sidecar {
	t.Helper()
	path := filepath.Join(t.TempDir(), "service-tokens.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
- {name: alice, groups: [admins, lab], token: `+aliceServiceToken+`}
- {name: bob, groups: [lab], token: `+bobServiceToken+`}
`), 0o600))
	return startSidecar(t, append([]func(*config.Config){func(c *config.Config) {
		c.Auth.Mode, c.Auth.ServiceTokensFile, c.Auth.AdminGroups = config.ModeShared, path, []string{"admins"}
		c.Compute.Local.RunAs = ownUser() // shared mode refuses unisolated local jobs
	}}, mutate...)...)
}

func TestSharedModeIdentityComesFromTheCredential(t *testing.T) {
	s := startSharedSidecar(t)
	sys := kamldv1.NewSystemServiceClient(s.conn)
	info, err := sys.GetInfo(s.withToken(aliceServiceToken), &kamldv1.GetInfoRequest{})
	require.NoError(t, err)
	assert.Equal(t, "alice", info.GetIdentity())
	assert.Equal(t, []string{"admins", "lab"}, info.GetGroups())
	assert.True(t, info.GetAdmin(), "alice is in an admin group")
	assert.True(t, info.GetVerified())
	info, err = sys.GetInfo(s.withToken(bobServiceToken), &kamldv1.GetInfoRequest{})
	require.NoError(t, err)
	assert.False(t, info.GetAdmin(), "bob is in no admin group")

	ds, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.withToken(bobServiceToken), &kamldv1.CreateDatasetRequest{DatasetId: "bobs"})
	require.NoError(t, err)
	assert.Equal(t, "bob", ds.GetOwner())

	code, body, _ := s.rest(t, "GET", "/v1/system/info", "", map[string]string{"Authorization": "Bearer " + bobServiceToken})
	require.Equal(t, 200, code, body)
	assert.Contains(t, body, `"identity":"bob"`)
}

func TestSharedModeRefusesTheSingleUserTokenAndUnknownTokens(t *testing.T) {
	s := startSharedSidecar(t)
	sys := kamldv1.NewSystemServiceClient(s.conn)
	for tok, reason := range map[string]string{s.token: "TOKEN_INVALID", "no-such-token-0123456789": "TOKEN_INVALID"} {
		_, err := sys.GetInfo(s.withToken(tok), &kamldv1.GetInfoRequest{})
		assert.Equal(t, codes.Unauthenticated, status.Code(err))
		assert.Equal(t, reason, grpcReason(t, err))
		code, body, _ := s.rest(t, "GET", "/v1/system/info", "", map[string]string{"Authorization": "Bearer " + tok})
		assert.Equal(t, 401, code)
		assert.Equal(t, reason, restReason(t, body))
	}
	_, err := sys.GetInfo(s.withAuthorization(""), &kamldv1.GetInfoRequest{})
	assert.Equal(t, "TOKEN_MISSING", grpcReason(t, err))
}

// TestSharedModeRefusesForgedIdentityHeaders: a valid credential that also names a user (x-kamld-user over
// gRPC; X-Kamld-User or Grpc-Metadata-X-Kamld-User over REST) is PERMISSION_DENIED, never served as either.
func TestSharedModeRefusesForgedIdentityHeaders(t *testing.T) {
	s := startSharedSidecar(t)
	ctx := s.withToken(bobServiceToken)
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(withMD(ctx, "x-kamld-user", "alice"), &kamldv1.CreateDatasetRequest{DatasetId: "forged"})
	assert.Equal(t, codes.PermissionDenied, status.Code(err))
	assert.Equal(t, "IDENTITY_HEADER_REFUSED", grpcReason(t, err))
	for _, h := range []string{"X-Kamld-User", "Grpc-Metadata-X-Kamld-User"} {
		code, body, _ := s.rest(t, "POST", "/v1/datasets?datasetId=forged", "{}", map[string]string{"Authorization": "Bearer " + bobServiceToken, h: "alice"})
		assert.Equal(t, 403, code, h)
		assert.Equal(t, "IDENTITY_HEADER_REFUSED", restReason(t, body), h)
	}
	_, err = kamldv1.NewDatasetServiceClient(s.conn).GetDataset(s.withToken(aliceServiceToken), &kamldv1.GetDatasetRequest{Name: "datasets/forged"})
	assert.Equal(t, codes.NotFound, status.Code(err), "no forged call created anything")
}

// withMD adds metadata pairs to an outgoing context.
func withMD(ctx context.Context, kv ...string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

// TestSharedModeOIDCTokens: JWTs of a real JWKS endpoint on loopback (keys the test generates) over gRPC and
// REST: a valid one acts as its user, and every bad one is UNAUTHENTICATED with the reason that says why.
func TestSharedModeOIDCTokens(t *testing.T) {
	is := oidcissuer.Start(t)
	s := startSharedSidecar(t, func(c *config.Config) { c.Auth.OIDC.Issuer, c.Auth.OIDC.Audience = is.URL, "kamld" })
	key := is.Key(t, "rsa-1")
	claims := func(over map[string]any) map[string]any {
		c := is.Claims("kamld", map[string]any{"sub": "u-7", "preferred_username": "carol", "groups": []string{"lab"}})
		for k, v := range over {
			c[k] = v
		}
		return c
	}
	good := oidcissuer.Sign(t, key, claims(nil))
	info, err := kamldv1.NewSystemServiceClient(s.conn).GetInfo(s.withToken(good), &kamldv1.GetInfoRequest{})
	require.NoError(t, err)
	assert.Equal(t, "carol", info.GetIdentity())

	now := time.Now()
	for name, tc := range map[string]struct{ token, reason string }{
		"expired":        {oidcissuer.Sign(t, key, claims(map[string]any{"exp": now.Add(-time.Hour).Unix()})), "CREDENTIAL_EXPIRED"},
		"not yet valid":  {oidcissuer.Sign(t, key, claims(map[string]any{"nbf": now.Add(time.Hour).Unix()})), "CREDENTIAL_EXPIRED"},
		"wrong audience": {oidcissuer.Sign(t, key, claims(map[string]any{"aud": "grafana"})), "CREDENTIAL_UNTRUSTED"},
		"wrong issuer":   {oidcissuer.Sign(t, key, claims(map[string]any{"iss": "http://127.0.0.1:1"})), "CREDENTIAL_UNTRUSTED"},
		"unknown key":    {oidcissuer.Sign(t, is.Unpublished(t, "rsa-1"), claims(nil)), "CREDENTIAL_UNTRUSTED"},
		"alg none":       {unsignedJWT(claims(nil)), "CREDENTIAL_UNTRUSTED"},
	} {
		_, err := kamldv1.NewSystemServiceClient(s.conn).GetInfo(s.withToken(tc.token), &kamldv1.GetInfoRequest{})
		assert.Equal(t, codes.Unauthenticated, status.Code(err), name)
		assert.Equal(t, tc.reason, grpcReason(t, err), name)
		code, body, _ := s.rest(t, "POST", "/v1/datasets?datasetId=x", "{}", map[string]string{"Authorization": "Bearer " + tc.token})
		assert.Equal(t, 401, code, name)
		assert.Equal(t, tc.reason, restReason(t, body), name)
	}
	// A valid token with a forged identity header is refused too.
	_, err = kamldv1.NewSystemServiceClient(s.conn).GetInfo(withMD(s.withToken(good), "x-kamld-user", "alice"), &kamldv1.GetInfoRequest{})
	assert.Equal(t, "IDENTITY_HEADER_REFUSED", grpcReason(t, err))
}

func unsignedJWT(claims map[string]any) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(claims) + "."
}
