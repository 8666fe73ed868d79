package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Hub verifies JupyterHub API tokens with the Hub's REST API (GET {api}/user answers for the token's owner:
// its name, kind, groups and the token's scopes). Answers, refusals included, are cached for a short TTL:
// a token revoked or a user deleted on the Hub is refused at the latest one TTL later (docs/security.md).
type Hub struct {
	api    string // base URL without trailing slash
	scope  string
	ttl    time.Duration
	client *http.Client
	now    func() time.Time

	flight singleflight.Group
	mu     sync.Mutex
	cache  map[[sha256.Size]byte]hubAnswer
}

// hubAnswer is the Hub's verdict on one token: a principal, or the refusal (err), until the entry expires.
type hubAnswer struct {
	p     Principal
	err   error
	until time.Time
}

// hubTimeout bounds one question to the Hub, whoever waits for it.
const hubTimeout = 10 * time.Second

// hubCacheMax bounds the cache: past it, expired entries go, and if none did, all of them.
const hubCacheMax = 10000

// HubOption customizes a Hub verifier.
type HubOption func(*Hub)

// WithHubClient sets the HTTP client (default: one with a 10 s timeout).
func WithHubClient(c *http.Client) HubOption { return func(h *Hub) { h.client = c } }

// WithHubScope requires tokens to hold scope (a JupyterHub custom scope, custom:kamld:…).
func WithHubScope(scope string) HubOption { return func(h *Hub) { h.scope = scope } }

// NewHub verifies tokens against the JupyterHub REST API at apiURL (http://hub:8081/hub/api), caching
// answers for ttl.
func NewHub(apiURL string, ttl time.Duration, opts ...HubOption) (*Hub, error) {
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("auth.hub.api_url: %q is not an http(s) URL", apiURL)
	}
	if ttl < 0 {
		return nil, fmt.Errorf("auth.hub.cache_ttl: negative")
	}
	h := &Hub{api: strings.TrimSuffix(apiURL, "/"), ttl: ttl, client: &http.Client{Timeout: hubTimeout}, now: time.Now, cache: map[[sha256.Size]byte]hubAnswer{}}
	for _, o := range opts {
		o(h)
	}
	if h.scope != "" && !strings.HasPrefix(h.scope, "custom:") {
		return nil, fmt.Errorf("auth.hub.scope: %q is not a JupyterHub custom scope (custom:…)", h.scope)
	}
	return h, nil
}

// Verify implements Verifier. A JWT is not a Hub token (ErrNotMine); anything else is asked of the Hub.
func (h *Hub) Verify(ctx context.Context, bearer string) (Principal, error) {
	if looksLikeJWT(bearer) {
		return Principal{}, ErrNotMine
	}
	key := sha256.Sum256([]byte(bearer))
	if a, ok := h.cached(key); ok {
		return a.p, a.err
	}
	if IsCacheOnly(ctx) {
		return Principal{}, ErrWouldBlock
	}
	// One request per token however many calls wait for it; the request outlives no caller's deadline
	// because each caller waits on its own context.
	ch := h.flight.DoChan(string(key[:]), func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hubTimeout)
		defer cancel()
		a := h.ask(rctx, bearer)
		var ce *CredentialError
		if a.err == nil || errors.As(a.err, &ce) && ce.Failure != FailUnavailable {
			h.store(key, a)
		}
		return a, nil
	})
	select {
	case r := <-ch:
		a := r.Val.(hubAnswer)
		return a.p, a.err
	case <-ctx.Done():
		return Principal{}, Refuse(FailUnavailable, "JupyterHub did not answer in time: %v", ctx.Err())
	}
}

func (h *Hub) cached(key [sha256.Size]byte) (hubAnswer, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.cache[key]
	if !ok || !h.now().Before(a.until) {
		return hubAnswer{}, false
	}
	return a, true
}

func (h *Hub) store(key [sha256.Size]byte, a hubAnswer) {
	if h.ttl == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if len(h.cache) >= hubCacheMax {
		for k, e := range h.cache {
			if !now.Before(e.until) {
				delete(h.cache, k)
			}
		}
		if len(h.cache) >= hubCacheMax {
			clear(h.cache)
		}
	}
	a.until = now.Add(h.ttl)
	h.cache[key] = a
}

// hubModel is the part of GET /user's answer kamld reads. Groups are present when the token may read its
// owner's groups (read:users:groups); scopes are the token's own.
type hubModel struct {
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	Groups []string `json:"groups"`
	Scopes []string `json:"scopes"`
}

// ask asks the Hub whose token bearer is.
func (h *Hub) ask(ctx context.Context, bearer string) hubAnswer {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.api+"/user", nil)
	if err != nil {
		return hubAnswer{err: Refuse(FailUnavailable, "JupyterHub request: %v", err)}
	}
	req.Header.Set("Authorization", "token "+bearer)
	resp, err := h.client.Do(req)
	if err != nil {
		return hubAnswer{err: Refuse(FailUnavailable, "JupyterHub unreachable: %v", errors.Unwrap(err))}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return hubAnswer{err: Refuse(FailInvalid, "JupyterHub does not accept this token (unknown, revoked, expired, or its user deleted)")}
	case resp.StatusCode != http.StatusOK:
		return hubAnswer{err: Refuse(FailUnavailable, "JupyterHub answered %s", resp.Status)}
	}
	var m hubModel
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m); err != nil {
		return hubAnswer{err: Refuse(FailUnavailable, "JupyterHub's answer does not decode: %v", err)}
	}
	return h.principal(m)
}

func (h *Hub) principal(m hubModel) hubAnswer {
	if h.scope != "" && !holdsScope(m.Scopes, h.scope, m.Name) {
		return hubAnswer{err: Refuse(FailScope, "the JupyterHub token of %s lacks the scope %s; ask the Hub admin for a role that grants it", m.Name, h.scope)}
	}
	p := Principal{Name: m.Name, Groups: m.Groups, Kind: KindUser}
	switch m.Kind {
	case "user":
	case "service":
		p.Kind = KindService
	default:
		return hubAnswer{err: Refuse(FailUntrusted, "the JupyterHub token belongs to a %q, neither a user nor a service", m.Kind)}
	}
	return hubAnswer{p: p}
}

// holdsScope reports whether scopes grant want to name: the scope itself, or filtered to the holder
// (custom:kamld:use!user=alice, !user, !service=name).
func holdsScope(scopes []string, want, name string) bool {
	for _, s := range scopes {
		base, filter, filtered := strings.Cut(s, "!")
		if base != want {
			continue
		}
		if !filtered || filter == "user" || filter == "service" || filter == "user="+name || filter == "service="+name {
			return true
		}
	}
	return false
}

// looksLikeJWT: three base64url parts. Hub tokens are hex or base64url without dots.
func looksLikeJWT(s string) bool { return strings.Count(s, ".") == 2 }
