// Package config defines kamld's configuration and loads it from, in increasing precedence: built-in defaults,
// a YAML file (--config or KAMLD_CONFIG), KAMLD_* environment variables and command-line flags. Every key has
// all three spellings, derived from its YAML path: `blob.s3.endpoint` is KAMLD_BLOB_S3_ENDPOINT and
// --blob-s3-endpoint. Secrets have no flag (flags show up in process listings).
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Config is the whole configuration of `kamld serve`.
type Config struct {
	DataDir   string        `koanf:"data_dir" help:"directory for embedded backends, the token and the connection file (default $XDG_DATA_HOME/kamld)"`
	GRPCAddr  string        `koanf:"grpc_addr" help:"gRPC listen address: host:port (port 0 picks one) or unix:/path"`
	HTTPAddr  string        `koanf:"http_addr" help:"REST/OpenAPI/metrics listen address: host:port or unix:/path"`
	TokenFile string        `koanf:"token_file" help:"file holding the bearer token; generated with mode 0600 when missing (default DATA_DIR/token)"`
	ReadyFile string        `koanf:"ready_file" help:"file written atomically with the bound addresses once serving"`
	Shutdown  time.Duration `koanf:"shutdown_timeout" help:"how long graceful shutdown waits for in-flight calls"`
	Samples   bool          `koanf:"import_samples" help:"import the sample datasets into a new store (once per store)"`
	Log       Log           `koanf:"log"`
	Auth      Auth          `koanf:"auth"`
	Audit     Audit         `koanf:"audit"`
	Limits    Limits        `koanf:"limits"`
	Blob      Blob          `koanf:"blob"`
	Index     Index         `koanf:"index"`
	SQL       SQL           `koanf:"sql"`
	Compute   Compute       `koanf:"compute"`
	Observe   Observe       `koanf:"observe"`
}

// Observe configures what the sidecar reports about itself beyond /metrics (docs/observability.md). Tracing
// is configured by the standard OTEL_* environment variables, not here.
type Observe struct {
	// Metrics exists so an operator can measure, or avoid, what metrics cost; make bench reports that cost.
	Metrics       bool   `koanf:"metrics" help:"record Prometheus metrics (RPC and backend); when false /metrics says they are off"`
	PrometheusURL string `koanf:"prometheus_url" help:"Prometheus base URL that scrapes every sidecar, for GetMetricsSummary's fleet view (empty: local only)"`
}

// Log configures slog.
type Log struct {
	Level  string `koanf:"level" help:"debug, info, warn or error"`
	Format string `koanf:"format" help:"text or json"`
}

// Auth configures who may call and as whom.
type Auth struct {
	DefaultIdentity string `koanf:"default_identity" help:"acting identity for token holders that send no x-kamld-user (default: the OS user)"`
	// Token exists for orchestrators: a Kubernetes Secret mounted as a file is group-readable under fsGroup,
	// which token_file rightly refuses, while a secretKeyRef environment variable is not.
	Token Secret `koanf:"token" help:"bearer token itself, at least 16 characters (env only); when set, token_file is not read"`
	// Mode is the trust model (docs/security.md): in single mode the token holder is trusted with everything
	// and names the acting user; in shared mode identity comes only from verified credentials.
	Mode              string   `koanf:"mode" help:"single (one user's sidecar: the token holder is trusted) or shared (many users: identity only from verified credentials)"`
	AdminGroups       []string `koanf:"admin_groups" help:"shared mode: groups whose members are platform admins"`
	ServiceTokensFile string   `koanf:"service_tokens_file" help:"shared mode: YAML or JSON list of {name, groups, token_sha256 or token}, mode 0600"`
	Hub               Hub      `koanf:"hub"`
	OIDC              OIDC     `koanf:"oidc"`
}

// Audit configures the audit log (docs/security.md).
type Audit struct {
	// Mode exists because a record costs a store write per sequential mutating call (docs/security.md): worth
	// it where several users share kamld, optional for one user's own sidecar.
	Mode            string `koanf:"mode" help:"auto (on in shared mode, off in single mode), on or off: write an audit record of every mutating and every denied call to the object store before answering it"`
	SegmentMaxBytes int    `koanf:"segment_max_bytes" help:"largest audit segment object; records beyond it go to the next"`
}

// AuditOn reports whether the audit log is written under this configuration.
func (c Config) AuditOn() bool {
	return c.Audit.Mode == "on" || c.Audit.Mode == "auto" && c.Auth.Mode == ModeShared
}

// Hub configures the verification of JupyterHub API tokens (shared mode).
type Hub struct {
	APIURL   string        `koanf:"api_url" help:"JupyterHub REST API base URL (http://hub:8081/hub/api); empty: Hub tokens are not accepted"`
	Scope    string        `koanf:"scope" help:"custom scope a Hub token must hold (custom:kamld:...); empty: none required"`
	CacheTTL time.Duration `koanf:"cache_ttl" help:"how long a verified Hub token is trusted before the Hub is asked again (bounds how late a revocation is seen)"`
}

// OIDC configures the verification of OpenID Connect bearer JWTs (shared mode).
type OIDC struct {
	Issuer      string        `koanf:"issuer" help:"issuer URL; its .well-known/openid-configuration names the JWKS; empty: JWTs are not accepted"`
	Audience    string        `koanf:"audience" help:"audience (aud) a token must name"`
	UserClaim   string        `koanf:"user_claim" help:"claim holding the user name"`
	GroupsClaim string        `koanf:"groups_claim" help:"claim holding the user's groups (a list of strings)"`
	ClockSkew   time.Duration `koanf:"clock_skew" help:"tolerance on exp, nbf and iat"`
	Algorithms  []string      `koanf:"algorithms" help:"accepted signature algorithms (RS256, ES256, ...); none and HS* are always refused"`
}

// Auth modes.
const (
	ModeSingle = "single"
	ModeShared = "shared"
)

// Limits bounds what one request may cost.
type Limits struct {
	MaxMessageBytes int `koanf:"max_message_bytes" help:"largest gRPC message or REST JSON body accepted"`
}

// Blob selects the object store.
type Blob struct {
	Backend string `koanf:"backend" help:"fs (a local directory) or s3 (MinIO or any S3)"`
	FS      FS     `koanf:"fs"`
	S3      S3     `koanf:"s3"`
}

// FS configures the local directory store.
type FS struct {
	Dir string `koanf:"dir" help:"directory of the fs store (default DATA_DIR/store)"`
}

// S3 configures an S3-compatible store.
type S3 struct {
	Endpoint  string `koanf:"endpoint" help:"host:port of the S3 endpoint"`
	Bucket    string `koanf:"bucket" help:"bucket holding all kamld objects"`
	Prefix    string `koanf:"prefix" help:"key prefix inside the bucket"`
	Region    string `koanf:"region" help:"region name"`
	Secure    bool   `koanf:"secure" help:"use TLS"`
	AccessKey string `koanf:"access_key" help:"access key id"`
	SecretKey Secret `koanf:"secret_key" help:"secret access key (env or file only)"`
}

// Index selects the search index.
type Index struct {
	Backend string  `koanf:"backend" help:"bleve (embedded) or elasticsearch"`
	Bleve   Bleve   `koanf:"bleve"`
	Elastic Elastic `koanf:"elasticsearch"`
}

// Bleve configures the embedded index.
type Bleve struct {
	Dir string `koanf:"dir" help:"directory of the bleve index (default DATA_DIR/index)"`
}

// Elastic configures Elasticsearch 8.
type Elastic struct {
	URLs     []string `koanf:"urls" help:"Elasticsearch URLs"`
	Index    string   `koanf:"index" help:"alias name of the datasets index"`
	Username string   `koanf:"username" help:"basic-auth user"`
	Password Secret   `koanf:"password" help:"basic-auth password (env or file only)"`
}

// SQL selects the query engine.
type SQL struct {
	Backend string `koanf:"backend" help:"duckdb (in process) or trino"`
	Trino   Trino  `koanf:"trino"`
	DuckDB  DuckDB `koanf:"duckdb"`
}

// DuckDB configures the in-process DuckDB that extracts schemas (always) and runs queries (backend duckdb).
type DuckDB struct {
	MemoryLimit string        `koanf:"memory_limit" help:"DuckDB memory_limit per instance, e.g. 1GB"`
	CacheBytes  ByteSize      `koanf:"cache_bytes" help:"bound of the local copies of MinIO/S3 blobs DuckDB reads (a byte size: 4GiB, 512MB)"`
	IdleClose   time.Duration `koanf:"idle_close" help:"close an instance unused this long, giving its memory back (it reopens on use); 0: never"`
}

// Trino configures a Trino coordinator.
type Trino struct {
	URL      string `koanf:"url" help:"coordinator URL"`
	Catalog  string `koanf:"catalog" help:"catalog reading the object store"`
	User     string `koanf:"user" help:"user name"`
	Password Secret `koanf:"password" help:"password (env or file only)"`
}

// Compute selects where jobs run.
type Compute struct {
	Backend   string `koanf:"backend" help:"local (processes of the sidecar) or kubernetes"`
	Flavors   string `koanf:"flavors" help:"YAML file of job flavors; empty: the built-in cpu flavor"`
	Workspace string `koanf:"workspace" help:"folder job working files are read from (JupyterLab's root); empty: only inline files"`
	// PipelineParallel bounds the steps of one pipeline run that run at once (a file's max_parallel overrides it).
	PipelineParallel int        `koanf:"pipeline_parallel" help:"steps of one pipeline run that run at once (1..64)"`
	Local            Local      `koanf:"local"`
	Kubernetes       Kubernetes `koanf:"kubernetes"`
}

// Local configures the local-process compute backend.
type Local struct {
	Dir    string `koanf:"dir" help:"directory of local job runs (default DATA_DIR/compute)"`
	Python string `koanf:"python" help:"Python of the host environment: its folder goes first on a local run's PATH"`
	// RunAs isolates local runs from the sidecar (docs/security.md): required in shared mode.
	RunAs string `koanf:"run_as" help:"uid:gid local job commands run as, instead of the sidecar's user (required with auth.mode shared; the sidecar needs CAP_SETUID, CAP_SETGID and CAP_CHOWN)"`
}

// Kubernetes configures the Kubernetes Jobs backend.
type Kubernetes struct {
	Kubeconfig     string `koanf:"kubeconfig" help:"kubeconfig path; empty means in-cluster"`
	Namespace      string `koanf:"namespace" help:"namespace for Jobs"`
	HelperImage    string `koanf:"helper_image" help:"image with the static kamld-job-helper binary on PATH (make helper), run as the Pods' init container (required)"`
	ServiceAccount string `koanf:"service_account" help:"service account of the runs' Pods (default: the namespace's)"`
	StoreSecret    string `koanf:"store_secret" help:"Secret of KAMLD_BLOB_* variables giving the in-pod helper the object store"`
	GPUResource    string `koanf:"gpu_resource" help:"extended resource requested for GPUs"`
}

// Default returns the configuration used when nothing else is given.
func Default() Config {
	return Config{
		GRPCAddr: "127.0.0.1:7070",
		HTTPAddr: "127.0.0.1:7080",
		Shutdown: 10 * time.Second,
		Samples:  true,
		Log:      Log{Level: "info", Format: "text"},
		Limits:   Limits{MaxMessageBytes: 16 << 20},
		Blob:     Blob{Backend: "fs", S3: S3{Bucket: "kamld", Region: "us-east-1"}},
		Index:    Index{Backend: "bleve", Elastic: Elastic{Index: "kamld-datasets"}},
		SQL:      SQL{Backend: "duckdb", Trino: Trino{Catalog: "kamld", User: "kamld"}, DuckDB: DuckDB{MemoryLimit: "1GB", CacheBytes: 4 << 30, IdleClose: time.Minute}},
		Compute:  Compute{Backend: "local", PipelineParallel: 4, Kubernetes: Kubernetes{Namespace: "default", GPUResource: "nvidia.com/gpu"}},
		Observe:  Observe{Metrics: true},
		Audit:    Audit{Mode: "auto", SegmentMaxBytes: 1 << 20},
		Auth: Auth{Mode: ModeSingle, Hub: Hub{CacheTTL: 30 * time.Second},
			OIDC: OIDC{UserClaim: "preferred_username", GroupsClaim: "groups", ClockSkew: 30 * time.Second, Algorithms: []string{"RS256", "ES256"}}},
	}
}

// DefaultDataDir is $XDG_DATA_HOME/kamld, or ~/.local/share/kamld.
func DefaultDataDir() string {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "kamld")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "kamld")
	}
	return filepath.Join(home, ".local", "share", "kamld")
}

// fillDerived sets the defaults that depend on other keys.
func (c *Config) fillDerived() {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir()
	}
	if c.TokenFile == "" {
		c.TokenFile = filepath.Join(c.DataDir, "token")
	}
	if c.Blob.FS.Dir == "" {
		c.Blob.FS.Dir = filepath.Join(c.DataDir, "store")
	}
	if c.Index.Bleve.Dir == "" {
		c.Index.Bleve.Dir = filepath.Join(c.DataDir, "index")
	}
	if c.Compute.Local.Dir == "" {
		c.Compute.Local.Dir = filepath.Join(c.DataDir, "compute")
	}
}

// Validate checks values that do not depend on which backends exist (the wiring checks backend names).
func (c *Config) Validate() error {
	var errs []error
	for key, addr := range map[string]string{"grpc_addr": c.GRPCAddr, "http_addr": c.HTTPAddr} {
		if _, _, err := SplitAddr(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level: %q is not one of debug, info, warn, error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format: %q is not text or json", c.Log.Format))
	}
	if c.Compute.PipelineParallel < 1 || c.Compute.PipelineParallel > 64 {
		errs = append(errs, fmt.Errorf("compute.pipeline_parallel: %d is outside 1..64", c.Compute.PipelineParallel))
	}
	if c.Limits.MaxMessageBytes < 1<<10 || c.Limits.MaxMessageBytes > 1<<30 {
		errs = append(errs, fmt.Errorf("limits.max_message_bytes: %d is outside 1 KiB..1 GiB", c.Limits.MaxMessageBytes))
	}
	if c.Shutdown < 0 {
		errs = append(errs, errors.New("shutdown_timeout: must not be negative"))
	}
	errs = append(errs, c.Auth.validate())
	switch c.Audit.Mode {
	case "auto", "on", "off":
	default:
		errs = append(errs, fmt.Errorf("audit.mode: %q is not auto, on or off", c.Audit.Mode))
	}
	if c.Audit.SegmentMaxBytes < 4<<10 || c.Audit.SegmentMaxBytes > 64<<20 {
		errs = append(errs, fmt.Errorf("audit.segment_max_bytes: %d is outside 4 KiB..64 MiB", c.Audit.SegmentMaxBytes))
	}
	return errors.Join(errs...)
}

func (a Auth) validate() error {
	var errs []error
	switch a.Mode {
	case ModeSingle:
	case ModeShared:
		if a.ServiceTokensFile == "" && a.Hub.APIURL == "" && a.OIDC.Issuer == "" {
			errs = append(errs, errors.New("auth.mode shared: no verifier configured; set auth.service_tokens_file, auth.hub.api_url or auth.oidc.issuer"))
		}
	default:
		errs = append(errs, fmt.Errorf("auth.mode: %q is not single or shared", a.Mode))
	}
	if a.Hub.CacheTTL < 0 || a.Hub.CacheTTL > time.Hour {
		errs = append(errs, fmt.Errorf("auth.hub.cache_ttl: %v is outside 0..1h", a.Hub.CacheTTL))
	}
	if a.OIDC.ClockSkew < 0 || a.OIDC.ClockSkew > 10*time.Minute {
		errs = append(errs, fmt.Errorf("auth.oidc.clock_skew: %v is outside 0..10m", a.OIDC.ClockSkew))
	}
	if a.OIDC.Issuer != "" && a.OIDC.Audience == "" {
		errs = append(errs, errors.New("auth.oidc.audience: required with auth.oidc.issuer (a token for another client must not be accepted)"))
	}
	return errors.Join(errs...)
}
