package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

func newSearchCommand(f *clientFlags) *cobra.Command {
	var order string
	var limit int
	cmd := &cobra.Command{
		Use:   "search QUERY...",
		Short: "Find datasets by their metadata",
		Long: "Find datasets: free text, \"phrases\", tag:x, label:key=value, format:csv, owner:x, column:x, size:>10MB,\n" +
			"rows:>1000, updated:>2026-01-01, created:2025-01..2025-06, -negation, a OR b, (groups).\n" +
			"The words are joined with spaces into one query; quote phrases for the shell: kamld search '\"big data\"'.",
		Args: cobra.MinimumNArgs(0),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			if limit < 1 {
				return fmt.Errorf("--limit must be positive, not %d", limit)
			}
			resp, err := kamldv1.NewSearchServiceClient(c.conn).SearchDatasets(c.ctx(cmd.Context()), &kamldv1.SearchDatasetsRequest{
				Query: strings.Join(args, " "), OrderBy: order, PageSize: int32(min(limit, 1000)),
			})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSCORE\tSIZE\tUPDATED\tOWNER\tTAGS\tDESCRIPTION")
			for _, r := range resp.GetResults() {
				d := r.GetDataset()
				fmt.Fprintf(tw, "%s\t%.2f\t%s\t%s\t%s\t%s\t%s\n", strings.TrimPrefix(d.GetName(), "datasets/"), r.GetScore(),
					humanBytes(d.GetStats().GetTotalBytes()), when(d.GetUpdateTime().AsTime()), d.GetOwner(),
					strings.Join(d.GetTags(), ","), firstLine(d.GetDescription(), 60))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if n := resp.GetTotalSize(); n > int64(len(resp.GetResults())) {
				fmt.Fprintf(cmd.OutOrStdout(), "%d of %d matches; --limit shows more\n", len(resp.GetResults()), n)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&order, "order", "", `"relevance" (default), "updated", "name" or "size", optionally with " asc" or " desc"`)
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "most results to show")
	return cmd
}
