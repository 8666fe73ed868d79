package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kamld/kamld/datasets"

	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/jobsvc"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/samples"
	"github.com/kamld/kamld/sidecar/internal/server"
	"github.com/kamld/kamld/sidecar/internal/tabular"
	"github.com/kamld/kamld/sidecar/internal/version"
	"github.com/kamld/kamld/sidecar/internal/wiring"
)

func newServeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the sidecar: gRPC, REST gateway, OpenAPI, health and metrics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cmd.Flags(), os.Environ())
			if err != nil {
				return err
			}
			return serve(cmd.Context(), cfg)
		},
	}
	config.RegisterFlags(cmd.Flags())
	return cmd
}

func newConfigCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration of `kamld serve` (secrets redacted) and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cmd.Flags(), os.Environ())
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), cfg.YAML())
			return err
		},
	}
	config.RegisterFlags(cmd.Flags())
	return cmd
}

func serve(parent context.Context, cfg config.Config) error {
	log := newLogger(cfg.Log)
	slog.SetDefault(log)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	token, err := loadToken(cfg)
	if err != nil {
		return err
	}
	backends, err := wiring.Build(cfg)
	if err != nil {
		return err
	}
	defer backends.Close()

	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := []server.Option{server.WithLogger(log), server.WithDefaultIdentity(defaultIdentity(cfg))}
	if store, ok := backends.Get(backend.Blob).(blob.Store); ok {
		engine, searchOpts := newEngine(ctx, store, backends, log)
		opts = append(opts, server.WithDatasets(engine))
		catalog, duck, err := openTabular(ctx, cfg, engine, tabular.WithLogger(log))
		if err != nil {
			return err
		}
		defer duck.Close()
		opts = append(opts, server.WithTables(catalog))
		opts = append(opts, searchOpts(catalog)...)
		if sqlEngine, ok := backends.Get(backend.SQL).(query.Engine); ok {
			qopts := []query.ServiceOption{query.WithLogger(log)}
			if g, ok := sqlEngine.(interface{ Guard() *guard.Guard }); ok {
				qopts = append(qopts, query.WithGuard(g.Guard())) // an engine that reserves its own catalogs
			}
			opts = append(opts, server.WithQuery(query.NewService(sqlEngine, engine, catalog, qopts...)))
		}
		if cb, ok := backends.Get(backend.Compute).(compute.Backend); ok {
			jobs, err := jobsvc.NewManager(ctx, cfg, store, engine, cb, log)
			if err != nil {
				return err
			}
			defer jobs.Close()
			opts = append(opts, server.WithJobs(jobs))
		}
		if cfg.Samples {
			// A failed import must not keep the sidecar down; it is retried on the next start.
			if _, err := samples.ImportOnce(ctx, engine, store, datasets.FS, version.Get().Version, log); err != nil {
				log.Warn("sample datasets not imported", "error", err)
			}
		}
	}
	srv := server.New(cfg, token, backends, opts...)
	var readyErr error
	err = srv.Run(ctx, func(b server.Bound) {
		if cfg.ReadyFile == "" {
			return
		}
		if readyErr = server.WriteReadyFile(cfg.ReadyFile, b); readyErr != nil {
			log.Error("cannot write ready file", "path", cfg.ReadyFile, "error", readyErr)
			stop()
		}
	})
	if cfg.ReadyFile != "" {
		_ = os.Remove(cfg.ReadyFile)
	}
	if err == nil {
		err = readyErr
	}
	return err
}

// loadToken prefers auth.token (set from an orchestrator's secret) over the token file.
func loadToken(cfg config.Config) (auth.Token, error) {
	if v := cfg.Auth.Token.Value(); v != "" {
		return auth.TokenFromValue(v)
	}
	return auth.LoadOrCreateToken(cfg.TokenFile)
}

func defaultIdentity(cfg config.Config) string {
	if cfg.Auth.DefaultIdentity != "" {
		return cfg.Auth.DefaultIdentity
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "kamld"
}

func newLogger(c config.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
