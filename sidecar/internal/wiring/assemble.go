package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/kamld/kamld/datasets"
	"github.com/kamld/kamld/sidecar/internal/audit"
	"github.com/kamld/kamld/sidecar/internal/auditsvc"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/changefeed"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/job"
	"github.com/kamld/kamld/sidecar/internal/observe"
	"github.com/kamld/kamld/sidecar/internal/observe/instrument"
	"github.com/kamld/kamld/sidecar/internal/pipeline"
	"github.com/kamld/kamld/sidecar/internal/pipelinesvc"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/querysvc"
	"github.com/kamld/kamld/sidecar/internal/samples"
	"github.com/kamld/kamld/sidecar/internal/search"
	"github.com/kamld/kamld/sidecar/internal/searchsvc"
	"github.com/kamld/kamld/sidecar/internal/server"
	"github.com/kamld/kamld/sidecar/internal/tabular"
	"github.com/kamld/kamld/sidecar/internal/version"
)

// Sidecar is what `kamld serve` runs: the backends and the domain objects over them, assembled here and
// nowhere else (the serve command and the server tests both call Assemble).
type Sidecar struct {
	Backends *backend.Set
	Store    blob.Store
	Services server.Services
	// Verifier authenticates callers in shared mode (auth.mode: shared); nil in single mode.
	Verifier *auth.Chain
	// Audit is the audit log; nil when it is off (audit.mode).
	Audit *audit.Log
	// JobTokens mints and verifies the job-scoped tokens runs get; in shared mode Verifier includes it.
	JobTokens *job.Tokens
	closers   []func() error // in the order they run: last built, first closed
}

// Assemble builds the configured backends and the domain over them: the dataset engine kept in step with the
// search index (caught up in the background until ctx ends), the tabular catalog, the SQL service and the job
// manager, whose jobs it resumes. With cfg.Samples it imports the sample datasets once; a failed import is
// logged and retried on the next start, it does not keep the sidecar down. On error, what was built is closed.
func Assemble(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *Sidecar, err error) {
	backends, err := Build(cfg)
	if err != nil {
		return nil, err
	}
	s := &Sidecar{Backends: backends, closers: []func() error{backends.Close}}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	if s.Verifier, err = Verifier(cfg.Auth); err != nil {
		return nil, err
	}
	store, ix, sqlEngine, cb, err := capabilities(backends)
	if err != nil {
		return nil, err
	}
	s.Store = store
	if cfg.AuditOn() {
		s.Audit = audit.New(store, audit.WithSegmentMaxBytes(cfg.Audit.SegmentMaxBytes), audit.WithLogger(log))
		s.closers = append(s.closers, func() error { s.Audit.Close(); return nil })
	}
	syncer := search.NewSyncer(store, ix, search.WithSyncLogger(log))
	feed := changefeed.New()
	engine := dataset.New(store, dataset.WithObserver(func(e *dataset.Engine) dataset.Observer {
		return feed.Observer(syncer.Observer(e))
	}))
	catalog, duck, err := OpenTabular(ctx, cfg, engine, tabular.WithLogger(log))
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, duck.Close)
	syncer.SetSchema(search.TabularSchema(engine, catalog))
	syncer.Start(ctx)
	s.JobTokens = job.NewTokens(store)
	if s.Verifier != nil {
		s.Verifier.Add(s.JobTokens)
	}
	jobs, err := newJobs(ctx, cfg, store, engine, cb, s.JobTokens, log)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() error { jobs.Close(); return nil })
	pipelines, err := newPipelines(ctx, cfg, store, engine, jobs, log)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() error { pipelines.Close(); return nil })
	s.Services = server.Services{
		Datasets: engine, Tables: catalog, Search: searchsvc.NewService(ix), Jobs: jobs, Pipelines: pipelines,
		Query: newQuery(sqlEngine, engine, catalog, s.Audit, log), Audit: auditsvc.New(s.Audit),
		Changes: feed,
	}
	if cfg.Samples {
		if _, err := samples.ImportOnce(ctx, engine, store, datasets.FS, version.Get().Version, log); err != nil {
			log.Warn("sample datasets not imported", "error", err)
		}
	}
	return s, nil
}

// Verifier builds shared mode's verifier chain from the configuration: service tokens first (a local
// lookup), then the others. It is nil in single mode.
func Verifier(cfg config.Auth) (*auth.Chain, error) {
	if cfg.Mode != config.ModeShared {
		return nil, nil
	}
	chain := auth.NewChain(cfg.AdminGroups)
	if cfg.ServiceTokensFile != "" {
		st, err := auth.LoadServiceTokens(cfg.ServiceTokensFile)
		if err != nil {
			return nil, err
		}
		chain.Add(st)
	}
	if cfg.OIDC.Issuer != "" {
		o, err := auth.NewOIDC(auth.OIDCConfig{Issuer: cfg.OIDC.Issuer, Audience: cfg.OIDC.Audience, UserClaim: cfg.OIDC.UserClaim,
			GroupsClaim: cfg.OIDC.GroupsClaim, ClockSkew: cfg.OIDC.ClockSkew, Algorithms: cfg.OIDC.Algorithms},
			auth.WithOIDCClient(&http.Client{Timeout: 10 * time.Second, Transport: observe.HTTPTransport(nil)}))
		if err != nil {
			return nil, err
		}
		chain.Add(o)
	}
	if cfg.Hub.APIURL != "" {
		// Last: any bearer no other verifier recognized is asked of the Hub.
		h, err := auth.NewHub(cfg.Hub.APIURL, cfg.Hub.CacheTTL, auth.WithHubScope(cfg.Hub.Scope),
			auth.WithHubClient(&http.Client{Timeout: 10 * time.Second, Transport: observe.HTTPTransport(nil)}))
		if err != nil {
			return nil, err
		}
		chain.Add(h)
	}
	return chain, nil
}

// ServerVerifier is Verifier as the interface server.WithVerifier takes: nil in single mode (a nil
// interface, not a typed nil).
func (s *Sidecar) ServerVerifier() auth.Verifier {
	if s.Verifier == nil {
		return nil
	}
	return s.Verifier
}

// ServerAudit is Audit as the writer server.WithAudit takes: nil when the audit log is off.
func (s *Sidecar) ServerAudit() audit.Writer {
	if s.Audit == nil {
		return nil
	}
	return s.Audit
}

// Close stops the job manager, closes the tabular cache and the backends, in that order.
func (s *Sidecar) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// capabilities returns each capability's backend as the interface the domain uses. Every backend in the
// factory tables implements its capability's interface; a row that does not is refused here, at startup.
func capabilities(b *backend.Set) (blob.Store, index.Index, query.Engine, compute.Backend, error) {
	store, okBlob := b.Get(backend.Blob).(blob.Store)
	ix, okIndex := b.Get(backend.Index).(index.Index)
	sqlEngine, okSQL := b.Get(backend.SQL).(query.Engine)
	cb, okCompute := b.Get(backend.Compute).(compute.Backend)
	for capability, ok := range map[string]bool{backend.Blob: okBlob, backend.Index: okIndex, backend.SQL: okSQL, backend.Compute: okCompute} {
		if !ok {
			return nil, nil, nil, nil, fmt.Errorf("the %s backend %s does not implement its capability", capability, b.Get(capability).Name())
		}
	}
	return store, ix, sqlEngine, cb, nil
}

// newQuery is QueryService on the SQL engine; an engine that reserves catalogs of its own (Trino) brings its
// guard. Admins read the audit log, when it is on, as the table kamld_audit.
func newQuery(e query.Engine, engine *dataset.Engine, catalog *tabular.Catalog, auditLog *audit.Log, log *slog.Logger) *querysvc.Service {
	opts := []querysvc.ServiceOption{querysvc.WithLogger(log)}
	if auditLog != nil {
		opts = append(opts, querysvc.WithAuditLog(auditLog))
	}
	if g, ok := instrument.Unwrap(e).(interface{ Guard() *guard.Guard }); ok { // past the metrics decorator
		opts = append(opts, querysvc.WithGuard(g.Guard()))
	}
	return querysvc.NewService(e, engine, catalog, opts...)
}

// newJobs builds the job domain from the configuration and resumes this instance's jobs.
func newJobs(ctx context.Context, cfg config.Config, store blob.Store, engine *dataset.Engine, cb compute.Backend, tokens *job.Tokens, log *slog.Logger) (*job.Manager, error) {
	flavors, err := job.LoadFlavors(cfg.Compute.Flavors)
	if err != nil {
		return nil, err
	}
	python := "python3"
	if cfg.Compute.Local.Python != "" {
		python = filepath.Base(cfg.Compute.Local.Python)
	}
	m := job.New(store, engine, cb, job.WithFlavors(flavors), job.WithWorkspace(cfg.Compute.Workspace),
		job.WithPython(python), job.WithLogger(log), job.WithJobTokens(tokens))
	if err := m.Start(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// newPipelines builds the pipeline domain over the job domain and resumes this instance's runs (after the
// jobs, whose drivers the runs follow).
func newPipelines(ctx context.Context, cfg config.Config, store blob.Store, engine *dataset.Engine, jobs *job.Manager, log *slog.Logger) (*pipeline.Manager, error) {
	m := pipeline.New(store, engine, pipelinesvc.Jobs{M: jobs}, pipeline.WithWorkspace(cfg.Compute.Workspace),
		pipeline.WithMaxParallel(cfg.Compute.PipelineParallel), pipeline.WithLogger(log))
	if err := m.Start(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// OpenTabular opens the tabular catalog over engine with its caches under the data directory, where `serve`
// and `reindex` must agree to find them. The caller closes the returned DuckDB.
func OpenTabular(ctx context.Context, cfg config.Config, engine *dataset.Engine, opts ...tabular.CatalogOption) (*tabular.Catalog, *tabular.LazyDB, error) {
	catalog, duck, err := tabular.OpenCatalog(ctx, engine, filepath.Join(cfg.DataDir, "cache", "tabular"), cfg.SQL.DuckDB, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("tabular: %w", err)
	}
	return catalog, duck, nil
}

// Reindex rebuilds the configured search index from the object store into a new generation and swaps it in
// (`kamld reindex`). It returns the number of datasets indexed and the index it wrote.
func Reindex(ctx context.Context, cfg config.Config) (int, backend.Backend, error) {
	backends, err := Build(cfg)
	if err != nil {
		return 0, nil, err
	}
	defer backends.Close()
	store, ix, _, _, err := capabilities(backends)
	if err != nil {
		return 0, nil, err
	}
	syncer := search.NewSyncer(store, ix)
	engine := dataset.New(store)
	syncer.Observer(engine)
	catalog, duck, err := OpenTabular(ctx, cfg, engine)
	if err != nil {
		return 0, nil, err
	}
	defer duck.Close()
	syncer.SetSchema(search.TabularSchema(engine, catalog))
	n, err := syncer.Reindex(ctx)
	return n, ix, err
}
