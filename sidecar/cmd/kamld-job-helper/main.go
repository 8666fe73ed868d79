// Command kamld-job-helper is what the Kubernetes compute backend runs inside a run's Pod: `fetch` in the
// init container (working files, input snapshots, and a copy of itself for the run container), `run` in the
// user's image around the command (outputs stored when it exits 0).
//
// It is a binary of its own, apart from kamld, because it is copied into arbitrary images and so must be
// statically linked (CGO_ENABLED=0), while kamld links DuckDB through cgo. It therefore imports only the
// pod helper, the object stores (through blobwiring) and the configuration — never package wiring. `make
// helper` builds it and checks that it is static.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kamld/kamld/sidecar/internal/version"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "kamld-job-helper:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	var f helperFlags
	root := &cobra.Command{
		Use:           "kamld-job-helper",
		Short:         "In-pod helper of kamld's Kubernetes runs: fetch inputs, run the command, store outputs",
		Version:       version.Get().Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&f.manifest, "manifest", "", "the run's manifest (JSON)")
	root.PersistentFlags().StringVar(&f.workdir, "workdir", "", "the run's work directory")
	root.PersistentFlags().StringVar(&f.terminationLog, "termination-log", "/dev/termination-log", "where a failure's reason goes")
	root.AddCommand(newFetchCommand(&f), newRunCommand(&f))
	return root
}
