// Package elastic is the Elasticsearch 8 index backend (docs/search.md), through go-elasticsearch's low-level
// client.
//
// Layout: documents live in versioned indices named <alias>-g<generation>; the configured name is an alias
// that points at exactly one of them, and <alias>-write a second one that writes also go to
// (generations.go). Rebuild fills a new generation and moves the alias in one _aliases call, so searches
// never see a half-built index. Mappings are explicit and strict (mapping.go).
//
// Queries: the parsed tree (index/query) is translated into Query DSL made only of bool, multi_match, term,
// range, match_all and match_none clauses (translate.go). User text is only ever a value of those clauses,
// never Elasticsearch's query_string syntax, so no query can inject Lucene syntax.
//
// Availability: New never contacts the server, so the sidecar starts while Elasticsearch is down; the alias
// is created on first use. Every failure to reach Elasticsearch (refused, timed out, 5xx) wraps
// apierr.ErrUnavailable.
package elastic

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/index"
)

// Name is the backend name in configuration.
const Name = "elasticsearch"

// Config says which cluster to use and under which alias.
type Config struct {
	// URLs of the cluster's HTTP endpoints.
	URLs []string
	// Alias is the name searches and writes use; the versioned indices are named after it.
	Alias string
	// Username and Password for basic auth; both empty for a cluster without security.
	Username, Password string
	// Transport overrides the HTTP transport (tests); nil uses one with bounded dial and header timeouts.
	Transport http.RoundTripper
}

// Index is an index.Index on Elasticsearch.
type Index struct {
	es         *elasticsearch.Client
	alias      string // searched; see writeAliasSuffix
	writeAlias string
	loc        string

	// ready is set once the alias is known to exist; until then every call first ensures it.
	readyMu sync.Mutex
	ready   bool
}

var _ index.Index = (*Index)(nil)

// Timeouts of the default transport: a cluster that does not accept a connection or answer within these is
// unavailable, rather than hanging an RPC that carries no deadline.
const (
	dialTimeout   = 5 * time.Second
	headerTimeout = 60 * time.Second
)

// New returns the index for cfg without contacting the cluster.
func New(cfg Config) (*Index, error) {
	if len(cfg.URLs) == 0 {
		return nil, errors.New("index.elasticsearch.urls: at least one URL is required")
	}
	if err := validAlias(cfg.Alias); err != nil {
		return nil, fmt.Errorf("index.elasticsearch.index: %w", err)
	}
	for _, u := range cfg.URLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("index.elasticsearch.urls: %q is not an http(s) URL", redact(u))
		}
	}
	tr := cfg.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			ResponseHeaderTimeout: headerTimeout,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
		}
	}
	es, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses: cfg.URLs,
		Username:  cfg.Username,
		Password:  cfg.Password,
		Transport: tr,
		// One quick retry on another node (or the same one) is useful; retrying a down cluster three times with
		// no backoff only delays the UNAVAILABLE answer.
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("elasticsearch client: %w", err)
	}
	return &Index{es: es, alias: cfg.Alias, writeAlias: cfg.Alias + writeAliasSuffix, loc: locations(cfg.URLs)}, nil
}

// Name implements backend.Backend.
func (x *Index) Name() string { return Name }

// Location implements backend.Backend: the cluster URLs without credentials, and the alias.
func (x *Index) Location() string { return x.loc + " (alias " + x.alias + ")" }

// Close implements backend.Backend; the HTTP client keeps nothing that needs releasing.
func (x *Index) Close() error { return nil }

// Health implements backend.Backend: the cluster answers and is not red.
func (x *Index) Health(ctx context.Context) error {
	var health struct {
		Status string `json:"status"`
	}
	if err := x.call(ctx, req{method: http.MethodGet, path: "/_cluster/health"}, &health); err != nil {
		return err
	}
	if health.Status == "red" {
		return fmt.Errorf("elasticsearch cluster at %s is red: %w", x.loc, apierr.ErrUnavailable)
	}
	return nil
}

// locations joins the URLs with any user info removed, for Location and messages.
func locations(urls []string) string {
	out := ""
	for i, u := range urls {
		if i > 0 {
			out += ","
		}
		out += redact(u)
	}
	return out
}

// redact removes user info from a URL so credentials never reach logs or GetInfo.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	u.User = nil
	return u.String()
}
