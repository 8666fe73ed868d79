package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/wiring"
)

// newGCCommand is `kamld gc`: it opens the configured blob store itself (as `kamld serve` does) rather than
// asking a sidecar, so it runs from cron or a Kubernetes CronJob with the sidecar's configuration, while
// sidecars keep serving.
func newGCCommand() *cobra.Command {
	var (
		dryRun bool
		grace  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "gc [--dry-run] [--grace 1h]",
		Short: "Remove blobs, chunks, uploads and deleted datasets' objects that nothing refers to",
		Long: `Garbage collection: marks everything that live datasets refer to (every snapshot, tag and draft) and
removes the rest of kamld's objects — file contents, manifest chunks, staging uploads, objects of deleted
datasets and finished draft generations — that were last written more than --grace before it started. Safe to
run while sidecars are writing: an upload or snapshot in flight is never collected. --dry-run reports what
would be removed and removes nothing. It uses the blob store of the configuration (the flags, KAMLD_*
variables and --config file of kamld serve).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cmd.Flags(), os.Environ())
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runGC(ctx, cmd.OutOrStdout(), cfg, dataset.GCOptions{Grace: grace, DryRun: dryRun})
		},
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "report what would be removed; remove nothing")
	cmd.Flags().DurationVar(&grace, "grace", dataset.DefaultGrace,
		"keep unreferenced objects written less than this long ago (at least twice the writers' refresh age, "+dataset.DefaultRefreshAge.String()+")")
	return cmd
}

func runGC(ctx context.Context, out io.Writer, cfg config.Config, opts dataset.GCOptions) error {
	// The store alone: collection needs neither the index (which a serving sidecar holds locked) nor SQL.
	backends, err := wiring.BuildBlob(cfg)
	if err != nil {
		return err
	}
	defer backends.Close()
	store, ok := backends.Get(backend.Blob).(blob.Store)
	if !ok {
		return fmt.Errorf("the %s backend is not a blob store", cfg.Blob.Backend)
	}
	r, err := dataset.New(store).CollectGarbage(ctx, opts)
	if r != nil {
		printGC(out, store, opts, r)
	}
	return err
}

func printGC(out io.Writer, store blob.Store, opts dataset.GCOptions, r *dataset.GCReport) {
	verb := "removed"
	if r.DryRun {
		verb = "would remove"
	}
	fmt.Fprintf(out, "%s store %s: objects last written before %s (grace %s)\n",
		store.Name(), store.Location(), r.Cutoff.Local().Format(time.RFC3339), opts.Grace)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "KIND\t%s\tBYTES\tYOUNGER (KEPT)\tIN USE\n", strings.ToUpper(verb))
	var total dataset.GCCount
	for _, k := range dataset.GCKinds {
		rm, young, use := r.Removed[k], r.Young[k], r.InUse[k]
		inUse := "-"
		if k == dataset.GCBlobs || k == dataset.GCChunks {
			inUse = fmt.Sprintf("%d (%s)", use.Objects, humanBytes(use.Bytes))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\n", k, rm.Objects, humanBytes(rm.Bytes), young.Objects, inUse)
		total.Objects += rm.Objects
		total.Bytes += rm.Bytes
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "%s %d objects, %s\n", verb, total.Objects, humanBytes(total.Bytes))
	if r.DryRun {
		fmt.Fprintln(out, "dry run: nothing was deleted")
	}
}
