package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// OIDCConfig is what an OIDC verifier checks a bearer JWT against.
type OIDCConfig struct {
	Issuer      string // iss, and where .well-known/openid-configuration is
	Audience    string // one of aud
	UserClaim   string // the user name of a user's token
	GroupsClaim string // a list of strings (or one string)
	ClockSkew   time.Duration
	Algorithms  []string // accepted signature algorithms
}

// asymmetric are the algorithms an issuer's JWKS can verify. none is never a signature, and HS* would need the
// issuer's shared secret, which kamld does not hold: a token "signed" with a public key as HMAC secret is the
// classic forgery, so both are refused whatever the configuration says.
var asymmetric = map[string]jose.SignatureAlgorithm{
	"RS256": jose.RS256, "RS384": jose.RS384, "RS512": jose.RS512, "PS256": jose.PS256, "PS384": jose.PS384,
	"PS512": jose.PS512, "ES256": jose.ES256, "ES384": jose.ES384, "ES512": jose.ES512, "EdDSA": jose.EdDSA,
}

// OIDC verifies bearer JWTs of one OpenID Connect issuer against its published keys (JWKS). Keys are
// fetched on first use and again when a token names a key not known yet (the issuer rotated), at most once
// per refetch interval, so a stream of tokens with made-up key ids cannot make kamld hammer the issuer.
type OIDC struct {
	cfg     OIDCConfig
	algs    []jose.SignatureAlgorithm
	client  *http.Client
	now     func() time.Time
	refetch time.Duration

	fetchMu sync.Mutex   // one JWKS fetch at a time
	mu      sync.RWMutex // guards keys and fetched
	keys    *jose.JSONWebKeySet
	fetched time.Time
}

// OIDCOption customizes an OIDC verifier.
type OIDCOption func(*OIDC)

// WithOIDCClient sets the HTTP client for discovery and JWKS (default: a 10 s timeout).
func WithOIDCClient(c *http.Client) OIDCOption { return func(o *OIDC) { o.client = c } }

// WithJWKSRefetch sets the least time between two JWKS fetches (default 30 s).
func WithJWKSRefetch(d time.Duration) OIDCOption { return func(o *OIDC) { o.refetch = d } }

// NewOIDC checks cfg; nothing is fetched until the first token.
func NewOIDC(cfg OIDCConfig, opts ...OIDCOption) (*OIDC, error) {
	o := &OIDC{cfg: cfg, client: &http.Client{Timeout: 10 * time.Second}, now: time.Now, refetch: 30 * time.Second}
	for _, opt := range opts {
		opt(o)
	}
	if !strings.HasPrefix(cfg.Issuer, "https://") && !strings.HasPrefix(cfg.Issuer, "http://") {
		return nil, fmt.Errorf("auth.oidc.issuer: %q is not an http(s) URL", cfg.Issuer)
	}
	if cfg.Audience == "" || cfg.UserClaim == "" {
		return nil, errors.New("auth.oidc: audience and user_claim are required")
	}
	for _, a := range cfg.Algorithms {
		alg, ok := asymmetric[a]
		if !ok {
			return nil, fmt.Errorf("auth.oidc.algorithms: %q is not an asymmetric signature algorithm (none and HS* are refused)", a)
		}
		o.algs = append(o.algs, alg)
	}
	if len(o.algs) == 0 {
		return nil, errors.New("auth.oidc.algorithms: empty")
	}
	return o, nil
}

// Verify implements Verifier. A bearer that is not a JWT is ErrNotMine; a JWT is this issuer's to judge.
func (o *OIDC) Verify(ctx context.Context, bearer string) (Principal, error) {
	if !looksLikeJWT(bearer) {
		return Principal{}, ErrNotMine
	}
	tok, err := jwt.ParseSigned(bearer, o.algs)
	if err != nil {
		return Principal{}, Refuse(FailUntrusted, "not a JWT signed with an accepted algorithm (%s): %v", strings.Join(o.cfg.Algorithms, ", "), trimJose(err))
	}
	keys, err := o.keysFor(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return Principal{}, err
	}
	var std jwt.Claims
	var custom map[string]any
	if err := verifyWithAny(tok, keys, &std, &custom); err != nil {
		return Principal{}, err
	}
	if err := o.validate(std); err != nil {
		return Principal{}, err
	}
	return o.principal(std, custom)
}

func verifyWithAny(tok *jwt.JSONWebToken, keys []jose.JSONWebKey, dest ...any) error {
	alg := tok.Headers[0].Algorithm
	for _, k := range keys {
		if k.Algorithm != "" && k.Algorithm != alg || k.Use == "enc" {
			continue
		}
		if err := tok.Claims(k.Key, dest...); err == nil {
			return nil
		}
	}
	return Refuse(FailUntrusted, "the token's signature does not verify with the issuer's keys")
}

func (o *OIDC) validate(c jwt.Claims) error {
	if c.Expiry == nil {
		return Refuse(FailUntrusted, "the token has no expiry (exp)")
	}
	err := c.ValidateWithLeeway(jwt.Expected{Issuer: o.cfg.Issuer, AnyAudience: jwt.Audience{o.cfg.Audience}, Time: o.now()}, o.cfg.ClockSkew)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrExpired):
		return Refuse(FailExpired, "the token expired at %s", c.Expiry.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return Refuse(FailExpired, "the token is not valid yet (nbf/iat in the future beyond the clock skew of %v)", o.cfg.ClockSkew)
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return Refuse(FailUntrusted, "the token's issuer %q is not %q", c.Issuer, o.cfg.Issuer)
	case errors.Is(err, jwt.ErrInvalidAudience):
		return Refuse(FailUntrusted, "the token is not for this service: its audience does not include %q", o.cfg.Audience)
	default:
		return Refuse(FailUntrusted, "the token's claims are not valid: %v", trimJose(err))
	}
}

// principal reads the caller from the claims. A client-credentials token (a service acting for itself) is
// recognized by its grant type claim (gty) or by a subject that is its own client id; it is a KindService
// named by the client id. Any other token is a user's and must carry the user claim.
func (o *OIDC) principal(std jwt.Claims, custom map[string]any) (Principal, error) {
	groups, err := stringList(custom[o.cfg.GroupsClaim])
	if err != nil {
		return Principal{}, Refuse(FailUntrusted, "the token's %s claim: %v", o.cfg.GroupsClaim, err)
	}
	if client := clientOf(std, custom); client != "" {
		return Principal{Name: client, Groups: groups, Kind: KindService}, nil
	}
	name, _ := custom[o.cfg.UserClaim].(string)
	if name == "" {
		return Principal{}, Refuse(FailUntrusted, "the token has no %s claim naming its user", o.cfg.UserClaim)
	}
	return Principal{Name: name, Groups: groups, Kind: KindUser}, nil
}

func clientOf(std jwt.Claims, custom map[string]any) string {
	for _, k := range []string{"client_id", "azp", "cid"} {
		id, _ := custom[k].(string)
		if id == "" {
			continue
		}
		if gty, _ := custom["gty"].(string); gty == "client-credentials" || gty == "client_credentials" || std.Subject == id {
			return id
		}
	}
	return ""
}

func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("not a list of strings")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("not a list of strings")
}

// keysFor returns the keys that may have signed a token with key id kid, fetching the JWKS when none is
// known yet or kid is new and the last fetch is older than the refetch interval. Readers never wait for a
// fetch: only callers that need one do (the tap, which must not block, gets ErrWouldBlock instead).
func (o *OIDC) keysFor(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	keys, fetched := o.lookup(kid)
	if len(keys) > 0 {
		return keys, nil
	}
	if IsCacheOnly(ctx) {
		return nil, ErrWouldBlock
	}
	o.fetchMu.Lock()
	defer o.fetchMu.Unlock()
	keys, again := o.lookup(kid) // another caller may have fetched meanwhile
	if len(keys) > 0 {
		return keys, nil
	}
	if !again.IsZero() && (again != fetched || o.now().Sub(again) < o.refetch) {
		return nil, Refuse(FailUntrusted, "the token is signed by a key (kid %q) the issuer does not publish", kid)
	}
	set, err := o.fetchJWKS(ctx)
	if err != nil {
		return nil, Refuse(FailUnavailable, "cannot fetch the issuer's keys: %v", err)
	}
	o.mu.Lock()
	o.keys, o.fetched = set, o.now()
	o.mu.Unlock()
	if keys, _ := o.lookup(kid); len(keys) > 0 {
		return keys, nil
	}
	return nil, Refuse(FailUntrusted, "the token is signed by a key (kid %q) the issuer does not publish", kid)
}

// lookup returns the known keys matching kid (all of them for a token without kid) and when they were fetched.
func (o *OIDC) lookup(kid string) ([]jose.JSONWebKey, time.Time) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if o.keys == nil {
		return nil, time.Time{}
	}
	if kid == "" {
		return o.keys.Keys, o.fetched
	}
	return o.keys.Key(kid), o.fetched
}

// fetchJWKS discovers the JWKS URL from the issuer's openid-configuration and fetches the key set.
func (o *OIDC) fetchJWKS(ctx context.Context) (*jose.JSONWebKeySet, error) {
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := o.getJSON(ctx, strings.TrimSuffix(o.cfg.Issuer, "/")+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, err
	}
	if disc.Issuer != o.cfg.Issuer {
		return nil, fmt.Errorf("the discovery document names issuer %q, not %q", disc.Issuer, o.cfg.Issuer)
	}
	if disc.JWKSURI == "" {
		return nil, errors.New("the discovery document has no jwks_uri")
	}
	var set jose.JSONWebKeySet
	if err := o.getJSON(ctx, disc.JWKSURI, &set); err != nil {
		return nil, err
	}
	return &set, nil
}

func (o *OIDC) getJSON(ctx context.Context, url string, dest any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(dest)
}

// trimJose drops go-jose's package prefix from its messages, which callers read.
func trimJose(err error) string {
	s := err.Error()
	for _, p := range []string{"go-jose/go-jose/jwt: ", "go-jose/go-jose: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}
