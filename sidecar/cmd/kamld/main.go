// Command kamld is the kamld sidecar: `kamld serve` runs the gRPC and REST API; the other subcommands
// inspect it.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kamld/kamld/sidecar/internal/compute/local"
)

func main() {
	// Started by the local compute backend as a run's supervisor: that, and nothing else.
	local.MaybeSupervise()
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "kamld:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "kamld",
		Short:         "kamld — datasets, snapshots, SQL and training jobs for JupyterLab",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand(), newVersionCommand(), newConfigCommand(), newGCCommand(), newReindexCommand())
	// Client subcommands talk to a running sidecar over gRPC.
	var cf clientFlags
	for _, c := range []*cobra.Command{newDatasetsCommand(&cf), newCopyCommand(&cf), newSnapshotCommand(&cf), newLogCommand(&cf),
		newDiffCommand(&cf), newRestoreCommand(&cf), newTagCommand(&cf), newSearchCommand(&cf),
		newBranchCommand(&cf), newMergeCommand(&cf), newPipelineCommand(&cf)} {
		cf.register(c)
		root.AddCommand(c)
	}
	return root
}
