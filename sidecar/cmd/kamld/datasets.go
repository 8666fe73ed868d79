package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// run wraps a client subcommand: dial, run, and explain RPC errors.
func run(f *clientFlags, fn func(cmd *cobra.Command, c *client, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := f.dial()
		if err != nil {
			return err
		}
		defer c.conn.Close()
		if err := fn(cmd, c, args); err != nil {
			return explain(err)
		}
		return nil
	}
}

func newDatasetsCommand(f *clientFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "datasets", Aliases: []string{"ds"}, Short: "List, create, show and remove datasets"}
	cmd.AddCommand(
		&cobra.Command{Use: "ls", Short: "List datasets", Args: cobra.NoArgs, RunE: run(f, listDatasets)},
		newCreateCommand(f),
		&cobra.Command{Use: "show DATASET", Short: "Show a dataset's metadata and state", Args: cobra.ExactArgs(1), RunE: run(f, showDataset)},
		&cobra.Command{Use: "rm DATASET", Short: "Delete a dataset with its snapshots and tags", Args: cobra.ExactArgs(1), RunE: run(f, removeDataset)},
	)
	return cmd
}

func listDatasets(cmd *cobra.Command, c *client, _ []string) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFILES\tSIZE\tSNAPSHOTS\tUPDATED\tDESCRIPTION")
	token := ""
	for {
		resp, err := c.datasets.ListDatasets(c.ctx(cmd.Context()), &kamldv1.ListDatasetsRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			return err
		}
		for _, d := range resp.GetDatasets() {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\n", strings.TrimPrefix(d.GetName(), "datasets/"), d.GetStats().GetFileCount(),
				humanBytes(d.GetStats().GetTotalBytes()), d.GetSnapshotCount(), when(d.GetUpdateTime().AsTime()), firstLine(d.GetDescription(), 60))
		}
		if token = resp.GetNextPageToken(); token == "" {
			return tw.Flush()
		}
	}
}

func newCreateCommand(f *clientFlags) *cobra.Command {
	var description, owner string
	var tags []string
	var labels map[string]string
	cmd := &cobra.Command{
		Use: "create DATASET", Short: "Create an empty dataset", Args: cobra.ExactArgs(1),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			d, err := c.datasets.CreateDataset(c.ctx(cmd.Context()), &kamldv1.CreateDatasetRequest{
				DatasetId: args[0], Dataset: &kamldv1.Dataset{Description: description, Tags: tags, Labels: labels, Owner: owner},
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created %s\n", d.GetName())
			return nil
		}),
	}
	cmd.Flags().StringVarP(&description, "description", "d", "", "what the dataset holds")
	cmd.Flags().StringSliceVarP(&tags, "tag", "t", nil, "tag (repeatable)")
	cmd.Flags().StringToStringVarP(&labels, "label", "l", nil, "label key=value (repeatable)")
	cmd.Flags().StringVar(&owner, "owner", "", "owner (default: you)")
	return cmd
}

func showDataset(cmd *cobra.Command, c *client, args []string) error {
	d, err := c.datasets.GetDataset(c.ctx(cmd.Context()), &kamldv1.GetDatasetRequest{Name: resource.DatasetName(args[0])})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "name\t%s\ndescription\t%s\ntags\t%s\nlabels\t%v\nowner\t%s\n", d.GetName(), d.GetDescription(), strings.Join(d.GetTags(), ", "), d.GetLabels(), d.GetOwner())
	fmt.Fprintf(tw, "files\t%d (%s)\nsnapshots\t%d\nhead\t%s\ndraft changes\t%v\ncreated\t%s\nupdated\t%s\n",
		d.GetStats().GetFileCount(), humanBytes(d.GetStats().GetTotalBytes()), d.GetSnapshotCount(), d.GetHeadSnapshot(),
		d.GetHasDraftChanges(), when(d.GetCreateTime().AsTime()), when(d.GetUpdateTime().AsTime()))
	return tw.Flush()
}

func removeDataset(cmd *cobra.Command, c *client, args []string) error {
	if _, err := c.datasets.DeleteDataset(c.ctx(cmd.Context()), &kamldv1.DeleteDatasetRequest{Name: resource.DatasetName(args[0])}); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "deleted datasets/%s\n", args[0])
	return nil
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func when(t time.Time) string {
	if t.IsZero() || t.Unix() == 0 {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > max {
		return s[:max-1] + "…"
	}
	return s
}
