package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// `kamld branch …` and `kamld merge` (docs/branches.md).

func newBranchCommand(f *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "branch DATASET",
		Short: "List a dataset's branches; create, rename and delete them",
		Example: "  kamld branch iris\n  kamld branch create iris exp --from v3\n  kamld cp model.pt iris@exp~draft/models/\n" +
			"  kamld snapshot iris@exp -m 'try'\n  kamld merge iris@exp iris\n  kamld branch rename iris exp tried\n  kamld branch delete iris tried",
		Args: cobra.ExactArgs(1),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			return listBranches(cmd, c, args[0])
		}),
	}
	var from string
	create := &cobra.Command{
		Use: "create DATASET BRANCH", Short: "Create a branch at a snapshot (default: main's head); nothing is copied", Args: cobra.ExactArgs(2),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			b, err := c.branches.CreateBranch(c.ctx(cmd.Context()), &kamldv1.CreateBranchRequest{
				Parent: resource.DatasetName(args[0]), BranchId: args[1], Branch: &kamldv1.Branch{From: from},
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s@%s at %s\n", args[0], args[1], orNone(b.GetHeadVersion()))
			return nil
		}),
	}
	create.Flags().StringVar(&from, "from", "", "the snapshot to start at: a version, id prefix, tag or branch")
	rename := &cobra.Command{
		Use: "rename DATASET BRANCH NEW", Short: "Rename a branch (its head, history and draft stay)", Args: cobra.ExactArgs(3),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			_, err := c.branches.RenameBranch(c.ctx(cmd.Context()), &kamldv1.RenameBranchRequest{
				Name: branchResource(args[0], args[1]), NewBranchId: args[2],
			})
			if err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "%s@%s → %s@%s\n", args[0], args[1], args[0], args[2])
			}
			return err
		}),
	}
	del := &cobra.Command{
		Use: "delete DATASET BRANCH", Aliases: []string{"rm"}, Short: "Delete a branch and its draft (its snapshots stay)", Args: cobra.ExactArgs(2),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			_, err := c.branches.DeleteBranch(c.ctx(cmd.Context()), &kamldv1.DeleteBranchRequest{Name: branchResource(args[0], args[1])})
			return err
		}),
	}
	cmd.AddCommand(create, rename, del) // the connection flags are the parent's persistent ones
	return cmd
}

func branchResource(ds, branch string) string {
	return resource.DatasetName(ds) + "/branches/" + branch
}

func orNone(v string) string {
	if v == "" {
		return "(no snapshot yet)"
	}
	return v
}

func listBranches(cmd *cobra.Command, c *client, ds string) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BRANCH\tHEAD\tFROM\tAUTHOR\tCREATED")
	token := ""
	for {
		resp, err := c.branches.ListBranches(c.ctx(cmd.Context()), &kamldv1.ListBranchesRequest{Parent: resource.DatasetName(ds), PageSize: 1000, PageToken: token})
		if err != nil {
			return err
		}
		for _, b := range resp.GetBranches() {
			name := b.GetName()[strings.LastIndex(b.GetName(), "/")+1:]
			if b.GetIsDefault() {
				name += " (default)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, orNone(b.GetHeadVersion()), shortID(b.GetFrom()), b.GetAuthor(), when(b.GetCreateTime().AsTime()))
		}
		if token = resp.GetNextPageToken(); token == "" {
			return tw.Flush()
		}
	}
}

func shortID(name string) string {
	id := name[strings.LastIndex(name, "/")+1:]
	return id[:min(len(id), 12)]
}

var strategyNames = map[string]kamldv1.MergeStrategy{
	"":       kamldv1.MergeStrategy_MERGE_STRATEGY_UNSPECIFIED,
	"ours":   kamldv1.MergeStrategy_MERGE_STRATEGY_OURS,
	"theirs": kamldv1.MergeStrategy_MERGE_STRATEGY_THEIRS,
}

func newMergeCommand(f *clientFlags) *cobra.Command {
	var message, strategy string
	var ours, theirs []string
	cmd := &cobra.Command{
		Use:   "merge SOURCE TARGET",
		Short: "Merge a branch (or any snapshot) into a branch: fast-forward, or three-way by path",
		Example: "  kamld merge iris@exp iris            # exp into main\n  kamld merge iris@v7 iris@exp\n" +
			"  kamld merge iris@exp iris --strategy theirs\n  kamld merge iris@exp iris --ours data/a.csv --theirs data/b.csv",
		Args: cobra.ExactArgs(2),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			req, err := mergeRequest(args[0], args[1], strategy, ours, theirs)
			if err != nil {
				return err
			}
			req.Message = message
			res, err := c.branches.MergeBranch(c.ctx(cmd.Context()), req)
			if err != nil {
				printConflicts(cmd.ErrOrStderr(), err)
				return err
			}
			out := cmd.OutOrStdout()
			switch s := res.GetSnapshot(); {
			case res.GetUpToDate():
				fmt.Fprintf(out, "already up to date at %s\n", s.GetVersion())
			case res.GetFastForward():
				fmt.Fprintf(out, "fast-forward to %s %s\n", s.GetVersion(), s.GetId()[:12])
			default:
				fmt.Fprintf(out, "merged as %s %s\n", s.GetVersion(), s.GetId()[:12])
			}
			st := res.GetStats()
			fmt.Fprintf(out, "%d added, %d removed, %d modified; %d conflicts resolved\n", st.GetAdded(), st.GetRemoved(), st.GetModified(), len(res.GetResolved()))
			return nil
		}),
	}
	cmd.Flags().StringVarP(&message, "message", "m", "", "message of the merge snapshot")
	cmd.Flags().StringVar(&strategy, "strategy", "", "resolve every conflict: ours (keep TARGET's) or theirs (take SOURCE's)")
	cmd.Flags().StringArrayVar(&ours, "ours", nil, "keep TARGET's version of this path (repeatable)")
	cmd.Flags().StringArrayVar(&theirs, "theirs", nil, "take SOURCE's version of this path (repeatable)")
	return cmd
}

// mergeRequest turns "iris@exp" "iris" into a merge of exp into main. The target's ref must be a branch
// (bare: main); the source's anything naming a snapshot.
func mergeRequest(src, dst, strategy string, ours, theirs []string) (*kamldv1.MergeBranchRequest, error) {
	from, err := parseShort("SOURCE", src)
	if err != nil {
		return nil, err
	}
	to, err := parseShort("TARGET", dst)
	if err != nil {
		return nil, err
	}
	if from.Dataset != to.Dataset || from.Path != "" || to.Path != "" {
		return nil, fmt.Errorf("SOURCE and TARGET are refs of one dataset, without paths (iris@exp iris)")
	}
	target := resource.DefaultBranch
	switch to.Ref.Kind {
	case resource.RefLatest:
	case resource.RefTag:
		target = to.Ref.Value
	default:
		return nil, fmt.Errorf("TARGET %q: name a branch (iris, iris@exp)", dst)
	}
	if from.Ref.Kind == resource.RefLatest {
		from.Ref = resource.Ref{Kind: resource.RefTag, Value: resource.DefaultBranch}
	}
	st, ok := strategyNames[strategy]
	if !ok {
		return nil, fmt.Errorf("--strategy %q: ours or theirs", strategy)
	}
	req := &kamldv1.MergeBranchRequest{Name: branchResource(to.Dataset, target), Source: from.Ref.String(), Strategy: st,
		PathStrategies: map[string]kamldv1.MergeStrategy{}}
	for _, p := range ours {
		req.PathStrategies[p] = kamldv1.MergeStrategy_MERGE_STRATEGY_OURS
	}
	for _, p := range theirs {
		req.PathStrategies[p] = kamldv1.MergeStrategy_MERGE_STRATEGY_THEIRS
	}
	return req, nil
}

// printConflicts lists a failed merge's conflicts, one a line.
func printConflicts(w io.Writer, err error) {
	for _, d := range status.Convert(err).Details() {
		mc, ok := d.(*kamldv1.MergeConflicts)
		if !ok {
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CONFLICT\tOURS\tTHEIRS")
		for _, c := range mc.GetConflicts() {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", c.GetPath(), side(c.GetOurs()), side(c.GetTheirs()))
		}
		_ = tw.Flush()
	}
}

func side(f *kamldv1.FileInfo) string {
	if f == nil {
		return "(absent)"
	}
	return fmt.Sprintf("%s %s", strings.TrimPrefix(f.GetDigest(), "sha256:")[:12], humanBytes(f.GetSize()))
}
