package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/search"
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
			backends, err := wiring.Build(cfg)
			if err != nil {
				return err
			}
			defer backends.Close()
			store, ok := backends.Get(backend.Blob).(blob.Store)
			if !ok {
				return errors.New("no object store configured")
			}
			ix, ok := backends.Get(backend.Index).(index.Index)
			if !ok {
				return fmt.Errorf("the %s index backend is not provided by this build", cfg.Index.Backend)
			}
			syncer := search.NewSyncer(store, ix)
			engine := dataset.New(store)
			syncer.Observer(engine)
			catalog, duck, err := openTabular(cmd.Context(), cfg, engine)
			if err != nil {
				return err
			}
			defer duck.Close()
			syncer.SetSchema(search.TabularSchema(engine, catalog))
			n, err := syncer.Reindex(cmd.Context())
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
