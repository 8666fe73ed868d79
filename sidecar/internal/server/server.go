// Package server runs kamld's listeners: gRPC (with reflection and grpc.health.v1), and HTTP with the REST
// gateway, the OpenAPI document, health, readiness and Prometheus metrics.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/test/bufconn"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/gen/openapi"
	"github.com/kamld/kamld/sidecar/internal/audit"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/observe"
	"github.com/kamld/kamld/sidecar/internal/server/interceptors"
	"github.com/kamld/kamld/sidecar/internal/systemsvc"
	"github.com/kamld/kamld/sidecar/internal/validation"
	"github.com/kamld/kamld/sidecar/internal/version"
)

// Server is one kamld sidecar. It holds no state of its own beyond its connections: everything lives in the
// backends, so a restart loses nothing.
type Server struct {
	cfg      config.Config
	log      *slog.Logger
	token    auth.Token
	backends *backend.Set
	start    time.Time
	identity string
	services Services
	// verifier is set in shared mode: the only source of callers' identities (docs/security.md).
	verifier auth.Verifier
	// audit receives the audit records; nil when the audit log is off.
	audit audit.Writer
	// jobTokens verifies job-scoped tokens in single mode (in shared mode, verifier includes them).
	jobTokens auth.Verifier
}

// Option customizes a Server.
type Option func(*Server)

// WithLogger sets the logger (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithDefaultIdentity sets the identity of token holders that name no user (default: from config).
func WithDefaultIdentity(who string) Option { return func(s *Server) { s.identity = who } }

// WithVerifier switches the server to shared mode: callers are authenticated by v alone, never by the token
// or x-kamld-user. A nil v leaves single mode.
func WithVerifier(v auth.Verifier) Option {
	return func(s *Server) {
		if v != nil {
			s.verifier = v
		}
	}
}

// WithAudit makes the server write an audit record of every mutating and every denied call (nil: none).
func WithAudit(w audit.Writer) Option {
	return func(s *Server) {
		if w != nil {
			s.audit = w
		}
	}
}

// WithJobTokens accepts job-scoped tokens in single mode besides the sidecar's token (a nil v: none).
func WithJobTokens(v auth.Verifier) Option { return func(s *Server) { s.jobTokens = v } }

// New prepares a server of services; nothing listens until Run. It fails when a service is missing.
func New(cfg config.Config, token auth.Token, backends *backend.Set, services Services, opts ...Option) (*Server, error) {
	if err := services.check(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: slog.Default(), token: token, backends: backends, start: time.Now(), identity: cfg.Auth.DefaultIdentity, services: services}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Bound are the addresses a running server listens on, as written to the ready file.
type Bound struct {
	Version  string `json:"version"`
	GRPCAddr string `json:"grpc_addr"`
	HTTPURL  string `json:"http_url"`
	PID      int    `json:"pid"`
}

// Run listens, serves until ctx is cancelled, then shuts down gracefully. ready, when not nil, is called once
// with the bound addresses after both listeners accept connections.
func (s *Server) Run(ctx context.Context, ready func(Bound)) error {
	grpcLis, err := listen(s.cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("grpc listener: %w", err)
	}
	defer grpcLis.Close()
	httpLis, err := listen(s.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http listener: %w", err)
	}
	defer httpLis.Close()

	// RPC metrics are this server's; backend, domain and runtime metrics are the process's (observe.Registry).
	reg := prometheus.NewRegistry()
	chain := s.chainOptions(reg)
	gs, healthSrv := s.newGRPCServer(chain)

	gwLis := bufconn.Listen(gatewayBuffer)
	gatewayCtx, stopGateway := context.WithCancel(context.Background())
	defer stopGateway()
	gw, gwConn, err := newGateway(gatewayCtx, gwLis, s.cfg.Limits.MaxMessageBytes)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	defer gwConn.Close()
	doc, err := openapi.Document(version.Get().Version)
	if err != nil {
		return fmt.Errorf("openapi document: %w", err)
	}
	hs := &http.Server{
		Handler:           s.httpFront(s.newHTTPHandler(limitBody(int64(s.cfg.Limits.MaxMessageBytes), gw), newRawFiles(gwConn, s.cfg.Limits.MaxMessageBytes), s.arrowQueries(chain, gw), newRawBatches(gwConn, s.cfg.Limits.MaxMessageBytes), doc, prometheus.Gatherers{observe.Registry, reg})),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}

	errc := make(chan error, 3)
	go func() { errc <- serveGRPC(gs, grpcLis) }()
	go func() { errc <- serveGRPC(gs, gwLis) }()
	go func() { errc <- serveHTTP(hs, httpLis) }()
	go s.watchHealth(ctx, healthSrv)

	bound := Bound{Version: version.Get().Version, GRPCAddr: displayAddr(grpcLis), HTTPURL: httpURL(httpLis), PID: os.Getpid()}
	s.services.Jobs.SetAPI(bound.HTTPURL, bound.GRPCAddr) // where job runs reach the API with their tokens
	s.log.Info("kamld serving", "version", bound.Version, "grpc", bound.GRPCAddr, "http", bound.HTTPURL, "startup", time.Since(s.start).Round(time.Microsecond))
	if ready != nil {
		ready(bound)
	}

	select {
	case <-ctx.Done():
	case err = <-errc:
		s.log.Error("listener failed", "error", err)
	}
	s.shutdown(gs, healthSrv, hs)
	return err
}

// chainOptions are what the interceptor chain needs, its RPC metrics registered with reg.
func (s *Server) chainOptions(reg prometheus.Registerer) interceptors.Options {
	var metrics *interceptors.Metrics
	if s.cfg.Observe.Metrics {
		metrics = interceptors.NewMetrics(reg)
	}
	return interceptors.Options{
		Logger:          s.log,
		Metrics:         metrics,
		Token:           s.token,
		DefaultIdentity: s.identity,
		Verifier:        s.verifier,
		Audit:           s.audit,
		JobTokens:       s.jobTokens,
	}
}

func (s *Server) newGRPCServer(io interceptors.Options) (*grpc.Server, *health.Server) {
	opts := append(interceptors.ServerOptions(io),
		grpc.InTapHandle(interceptors.TapAuth(io)),
		grpc.ForceServerCodecV2(validation.Codec{}),
		grpc.MaxRecvMsgSize(s.cfg.Limits.MaxMessageBytes),
		grpc.MaxSendMsgSize(s.cfg.Limits.MaxMessageBytes),
	)
	if observe.TracingEnabled() {
		opts = append(opts, grpc.StatsHandler(otelgrpc.NewServerHandler()))
	}
	gs := grpc.NewServer(opts...)
	kamldv1.RegisterSystemServiceServer(gs, systemsvc.New(s.backends, capabilities, s.start, s.cfg.Observe.PrometheusURL))
	s.services.register(gs, s.cfg.Limits.MaxMessageBytes)
	if err := registerFlightSQL(gs, s.services.Query); err != nil {
		s.log.Error("Flight SQL is not served", "error", err)
	}
	healthSrv := health.NewServer()
	healthpb.RegisterHealthServer(gs, healthSrv)
	reflection.Register(gs)
	return gs, healthSrv
}

// HealthServicePrefix names the grpc.health.v1 service of one capability's backend: "kamld.blob",
// "kamld.index", "kamld.sql", "kamld.compute". The empty service name is the sidecar as a whole.
const HealthServicePrefix = "kamld."

// watchHealth keeps grpc.health.v1 in step with the backends, for probes that use it instead of /readyz: one
// service per capability, and "" for all of them together.
func (s *Server) watchHealth(ctx context.Context, h *health.Server) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		all := healthpb.HealthCheckResponse_SERVING
		for _, b := range s.backends.Statuses(ctx) {
			st := healthpb.HealthCheckResponse_SERVING
			if b.Err != nil {
				st, all = healthpb.HealthCheckResponse_NOT_SERVING, healthpb.HealthCheckResponse_NOT_SERVING
			}
			h.SetServingStatus(HealthServicePrefix+b.Capability, st)
		}
		h.SetServingStatus("", all)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// shutdown stops taking new calls, lets running ones finish within the configured timeout, then cuts the rest.
func (s *Server) shutdown(gs *grpc.Server, h *health.Server, hs *http.Server) {
	h.Shutdown()
	if s.services.Changes != nil {
		s.services.Changes.Stop() // long polls answer now instead of holding the shutdown for their wait
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Shutdown)
	defer cancel()
	done := make(chan struct{})
	go func() {
		_ = hs.Shutdown(ctx)
		gs.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.log.Warn("graceful shutdown timed out; closing remaining calls", "timeout", s.cfg.Shutdown)
		_ = hs.Close()
		gs.Stop()
	}
	s.log.Info("kamld stopped")
}

func serveGRPC(gs *grpc.Server, l net.Listener) error {
	if err := gs.Serve(l); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

func serveHTTP(hs *http.Server, l net.Listener) error {
	if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// WriteReadyFile writes the bound addresses atomically (temp file + rename), so a reader never sees half.
func WriteReadyFile(path string, b Bound) error {
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ready-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
