package main

import (
	"context"
	"fmt"
	"path"
	"text/tabwriter"

	"github.com/spf13/cobra"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// parseShort parses a "dataset[@ref][/path]" argument, naming the argument in errors.
func parseShort(what, s string) (resource.ShortRef, error) {
	r, err := resource.ParseShortRef(s)
	if err != nil {
		return r, fmt.Errorf("%s %q: %w", what, s, err)
	}
	return r, nil
}

func newSnapshotCommand(f *clientFlags) *cobra.Command {
	var message string
	var allowEmpty bool
	cmd := &cobra.Command{
		Use: "snapshot DATASET", Short: "Commit the draft as a new snapshot", Args: cobra.ExactArgs(1),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			s, err := c.snapshots.CreateSnapshot(c.ctx(cmd.Context()), &kamldv1.CreateSnapshotRequest{
				Parent: resource.DatasetName(args[0]), Message: message, AllowEmpty: allowEmpty,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s@%s %s (%d files, %s)\n", args[0], s.GetVersion(), s.GetId()[:12],
				s.GetStats().GetFileCount(), humanBytes(s.GetStats().GetTotalBytes()))
			return nil
		}),
	}
	cmd.Flags().StringVarP(&message, "message", "m", "", "what changed")
	cmd.Flags().BoolVar(&allowEmpty, "allow-empty", false, "snapshot even when the draft has no changes")
	return cmd
}

func newLogCommand(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use: "log DATASET", Short: "List a dataset's snapshots, newest first", Args: cobra.ExactArgs(1),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tID\tAUTHOR\tTIME\tFILES\tTAGS\tMESSAGE")
			token := ""
			for {
				resp, err := c.snapshots.ListSnapshots(c.ctx(cmd.Context()), &kamldv1.ListSnapshotsRequest{Parent: resource.DatasetName(args[0]), PageSize: 1000, PageToken: token})
				if err != nil {
					return err
				}
				for _, s := range resp.GetSnapshots() {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%v\t%s\n", s.GetVersion(), s.GetId()[:12], s.GetAuthor(),
						when(s.GetCreateTime().AsTime()), s.GetStats().GetFileCount(), s.GetTags(), firstLine(s.GetMessage(), 60))
				}
				if token = resp.GetNextPageToken(); token == "" {
					return tw.Flush()
				}
			}
		}),
	}
}

func newDiffCommand(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "diff FROM [TO]",
		Short:   "Show files added, removed and modified between two refs (TO defaults to the draft)",
		Example: "  kamld diff iris@v1 iris@v2\n  kamld diff iris          # the draft against the latest snapshot",
		Args:    cobra.RangeArgs(1, 2),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			from, err := parseShort("FROM", args[0])
			if err != nil {
				return err
			}
			req := &kamldv1.DiffSnapshotsRequest{Dataset: resource.DatasetName(from.Dataset), FromRef: from.Ref.String(), PageSize: 1000}
			if len(args) == 1 && from.Ref.Kind == resource.RefLatest {
				req.FromRef = "" // the draft's parent
			}
			if len(args) == 2 {
				to, err := parseShort("TO", args[1])
				if err != nil {
					return err
				}
				if to.Dataset != from.Dataset {
					return fmt.Errorf("FROM and TO must be refs of one dataset")
				}
				req.ToRef = to.Ref.String()
			}
			return printDiff(cmd, c, req)
		}),
	}
}

func printDiff(cmd *cobra.Command, c *client, req *kamldv1.DiffSnapshotsRequest) error {
	mark := map[kamldv1.ChangeType]string{kamldv1.ChangeType_CHANGE_TYPE_ADDED: "+", kamldv1.ChangeType_CHANGE_TYPE_REMOVED: "-", kamldv1.ChangeType_CHANGE_TYPE_MODIFIED: "M"}
	out := cmd.OutOrStdout()
	for first := true; ; first = false {
		resp, err := c.snapshots.DiffSnapshots(c.ctx(cmd.Context()), req)
		if err != nil {
			return err
		}
		if first {
			st := resp.GetStats()
			fmt.Fprintf(out, "%s → %s: %d added, %d removed, %d modified (%+d bytes)\n", resp.GetFromSnapshot(), resp.GetToSnapshot(),
				st.GetAdded(), st.GetRemoved(), st.GetModified(), st.GetBytesDelta())
		}
		for _, ch := range resp.GetChanges() {
			fmt.Fprintf(out, "%s %s\n", mark[ch.GetType()], ch.GetPath())
		}
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			return nil
		}
	}
}

func newRestoreCommand(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use: "restore DATASET@REF", Short: "Reset the dataset's draft to a snapshot (history is kept)", Args: cobra.ExactArgs(1),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			r, err := parseShort("snapshot", args[0])
			if err != nil {
				return err
			}
			if r.Ref.Kind == resource.RefDraft || r.Path != "" {
				return fmt.Errorf("restore takes a snapshot ref such as iris@v3")
			}
			ref, err := c.snapshotRef(cmd.Context(), r)
			if err != nil {
				return err
			}
			resp, err := c.snapshots.RestoreSnapshot(c.ctx(cmd.Context()), &kamldv1.RestoreSnapshotRequest{Name: resource.DatasetName(r.Dataset) + "/snapshots/" + ref})
			if err != nil {
				return err
			}
			st := resp.GetChanges()
			fmt.Fprintf(cmd.OutOrStdout(), "draft of %s reset to %s: %d added, %d removed, %d modified\n", r.Dataset, ref, st.GetAdded(), st.GetRemoved(), st.GetModified())
			return nil
		}),
	}
}

func newTagCommand(f *clientFlags) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use: "tag DATASET@REF TAG", Short: "Name a snapshot (with --force, move an existing tag)", Args: cobra.ExactArgs(2),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			r, err := parseShort("snapshot", args[0])
			if err != nil {
				return err
			}
			ref, err := c.snapshotRef(cmd.Context(), r)
			if err != nil {
				return err
			}
			t, err := c.snapshots.CreateTag(c.ctx(cmd.Context()), &kamldv1.CreateTagRequest{
				Parent: resource.DatasetName(r.Dataset), TagId: args[1], Tag: &kamldv1.Tag{Snapshot: ref}, Overwrite: force,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s → %s\n", t.GetName(), t.GetSnapshot())
			return nil
		}),
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "move the tag if it exists")
	return cmd
}

// snapshotRef is the ref of r as a snapshot: r's own ref, or for a bare dataset its latest snapshot (resource
// names need an explicit ref, so "latest" is looked up).
func (c *client) snapshotRef(ctx context.Context, r resource.ShortRef) (string, error) {
	if ref := r.Ref.String(); ref != "" {
		return ref, nil
	}
	ds, err := c.datasets.GetDataset(c.ctx(ctx), &kamldv1.GetDatasetRequest{Name: resource.DatasetName(r.Dataset)})
	if err != nil {
		return "", err
	}
	if ds.GetHeadSnapshot() == "" {
		return "", fmt.Errorf("%s has no snapshot yet", r.Dataset)
	}
	return path.Base(ds.GetHeadSnapshot()), nil
}
