package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/wiring"
)

func newReindexCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the search index from the object store and swap it in",
		Long: "Rebuild the search index from the object store (the source of truth) into a new generation, then swap it in:\n" +
			"searches keep being answered by the previous generation until the swap. Takes the same configuration as\n" +
			"`kamld serve`. With Elasticsearch it runs beside live sidecars; the embedded bleve index belongs to one\n" +
			"process, so stop `kamld serve` on the same data directory first (it rebuilds an empty index by itself).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cmd.Flags(), os.Environ())
			if err != nil {
				return err
			}
			n, ix, err := wiring.Reindex(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "reindexed %d datasets into %s (%s)\n", n, ix.Name(), ix.Location())
			return err
		},
	}
	config.RegisterFlags(cmd.Flags())
	return cmd
}
