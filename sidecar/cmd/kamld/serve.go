package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/memory"
	"github.com/kamld/kamld/sidecar/internal/observe"
	"github.com/kamld/kamld/sidecar/internal/server"
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

// An idle sidecar (under 1 % of a core over releasePeriod) gives free memory back to the system (docs/sql.md).
const (
	releasePeriod    = 30 * time.Second
	releaseIdleShare = 0.01
)

func serve(parent context.Context, cfg config.Config) error {
	log := newLogger(cfg.Log)
	slog.SetDefault(log)
	// Tracing first: backends built below wrap their HTTP clients only when it is on (observe.HTTPTransport).
	stopTracing, err := observe.SetupTracing(parent, version.Get().Version)
	if err != nil {
		return fmt.Errorf("tracing (OTEL_* environment): %w", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 5*time.Second)
		defer cancel()
		_ = stopTracing(ctx)
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	token, err := loadToken(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	sidecar, err := wiring.Assemble(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer sidecar.Close()
	srv, err := server.New(cfg, token, sidecar.Backends, sidecar.Services, server.WithLogger(log), server.WithDefaultIdentity(defaultIdentity(cfg)), server.WithVerifier(sidecar.ServerVerifier()), server.WithAudit(sidecar.ServerAudit()), server.WithJobTokens(sidecar.JobTokens))
	if err != nil {
		return err
	}
	var readyErr error
	err = srv.Run(ctx, func(b server.Bound) {
		// Start-up mapped much it will not touch again; an idle sidecar gives it and its free heap back.
		go memory.ReleaseWhenIdle(ctx, releasePeriod, releaseIdleShare)
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
		return slog.New(observe.LogHandler(slog.NewJSONHandler(os.Stderr, opts)))
	}
	return slog.New(observe.LogHandler(slog.NewTextHandler(os.Stderr, opts)))
}
