package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/pipeline"
)

// `kamld pipeline …` (docs/pipelines.md).

func newPipelineCommand(f *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pipeline",
		Short: "Plan, run and follow pipelines of jobs",
		Example: "  kamld pipeline plan examples/pipelines/iris/pipeline.yaml\n  kamld pipeline run examples/pipelines/iris/pipeline.yaml -p seed=3\n" +
			"  kamld pipeline ls\n  kamld pipeline get RUN\n  kamld pipeline logs RUN train\n  kamld pipeline cancel RUN",
	}
	var o pipelineOptions
	plan := &cobra.Command{
		Use: "plan FILE", Short: "Say which steps a run would execute and which it would take from the cache, and why", Args: cobra.ExactArgs(1),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error { return planPipeline(cmd, c, args[0], o) }),
	}
	runCmd := &cobra.Command{
		Use: "run FILE", Short: "Run a pipeline and follow it to its end (--detach: return at once)", Args: cobra.ExactArgs(1),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error { return runPipeline(cmd, c, args[0], o) }),
	}
	for _, sub := range []*cobra.Command{plan, runCmd} {
		sub.Flags().StringArrayVarP(&o.params, "param", "p", nil, "a parameter's value, NAME=VALUE (repeatable)")
		sub.Flags().StringVar(&o.rerunFrom, "rerun-from", "", "run this step and every step after it, whatever the cache holds")
	}
	runCmd.Flags().BoolVar(&o.detach, "detach", false, "print the run's name and return without following it")
	runCmd.Flags().StringVar(&o.runID, "run-id", "", "the run's id, for an idempotent retry")
	var follow bool
	logs := &cobra.Command{
		Use: "logs RUN STEP", Short: "Print a step's log (its job's; --follow: until it ends)", Args: cobra.ExactArgs(2),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			return stepLogs(cmd, c, args[0], args[1], follow)
		}),
	}
	logs.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing until the step ends")
	var reason string
	cancel := &cobra.Command{
		Use: "cancel RUN", Short: "Cancel a run and its running steps", Args: cobra.ExactArgs(1),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			r, err := c.pipelines.CancelPipelineRun(c.ctx(cmd.Context()), &kamldv1.CancelPipelineRunRequest{Name: runName(args[0]), Reason: reason})
			if err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", r.Name, shortState(r.State.String()))
			}
			return err
		}),
	}
	cancel.Flags().StringVar(&reason, "reason", "", "why, recorded on the run")
	cmd.AddCommand(plan, runCmd, logs, cancel,
		&cobra.Command{Use: "ls", Short: "List runs, newest first", Args: cobra.NoArgs, RunE: run(f, listRuns)},
		&cobra.Command{Use: "get RUN", Short: "Show a run's steps, jobs and outputs", Args: cobra.ExactArgs(1), RunE: run(f, getRun)})
	return cmd
}

type pipelineOptions struct {
	params    []string
	rerunFrom string
	detach    bool
	runID     string
}

// runName accepts a run's id or its name.
func runName(s string) string {
	if strings.HasPrefix(s, "pipelineRuns/") {
		return s
	}
	return "pipelineRuns/" + s
}

func shortState(s string) string {
	for _, p := range []string{"PIPELINE_RUN_STATE_", "PIPELINE_STEP_STATE_"} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// readPipeline reads the file and the working files it names, beside it, so the sidecar needs no shared
// workspace; a file that is missing is left to the sidecar to report with its step and field.
func readPipeline(file string, o pipelineOptions) (*kamldv1.RunPipelineRequest, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	req := &kamldv1.RunPipelineRequest{Source: string(src), Parameters: map[string]string{}, Files: map[string][]byte{}, RerunFrom: o.rerunFrom, RunId: o.runID}
	for _, p := range o.params {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("--param %q: want NAME=VALUE", p)
		}
		req.Parameters[k] = v
	}
	spec, err := pipeline.Parse(src)
	if err != nil {
		return req, nil // the sidecar says what is wrong, with the line
	}
	dir := filepath.Dir(file)
	for _, source := range spec.FileSources() {
		if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(source))); err == nil {
			req.Files[source] = b
		}
	}
	return req, nil
}

func planPipeline(cmd *cobra.Command, c *client, file string, o pipelineOptions) error {
	req, err := readPipeline(file, o)
	if err != nil {
		return err
	}
	p, err := c.pipelines.PlanPipeline(c.ctx(cmd.Context()), &kamldv1.PlanPipelineRequest{Source: req.Source, Parameters: req.Parameters,
		Files: req.Files, RerunFrom: req.RerunFrom})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tACTION\tWHY")
	runs := 0
	var notes []string
	for _, s := range p.Steps {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Action, strings.Join(s.Reasons, "; "))
		if s.Action == "run" {
			runs++
		}
		if s.ImageNote != "" && !slices.Contains(notes, s.ImageNote) {
			notes = append(notes, s.ImageNote)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%d of %d steps run, %d from the cache\n", runs, len(p.Steps), len(p.Steps)-runs)
	for _, n := range notes {
		fmt.Fprintln(cmd.OutOrStdout(), "note:", n)
	}
	return nil
}

func runPipeline(cmd *cobra.Command, c *client, file string, o pipelineOptions) error {
	req, err := readPipeline(file, o)
	if err != nil {
		return err
	}
	r, err := c.pipelines.RunPipeline(c.ctx(cmd.Context()), req)
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), r.Name)
	if o.detach {
		return nil
	}
	return watchRun(cmd.Context(), c, cmd.OutOrStdout(), r.Name)
}

// watchRun prints each step's state changes until the run ends; a run that does not succeed is an error.
func watchRun(ctx context.Context, c *client, w io.Writer, name string) error {
	st, err := c.pipelines.WatchPipelineRun(c.ctx(ctx), &kamldv1.WatchPipelineRunRequest{Name: name})
	if err != nil {
		return err
	}
	seen := map[string]kamldv1.PipelineStepState{}
	var last *kamldv1.PipelineRun
	for {
		r, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		last = r
		for _, s := range r.Steps {
			if seen[s.Name] != s.State {
				seen[s.Name] = s.State
				fmt.Fprintf(w, "%-24s %-10s %s\n", s.Name, shortState(s.State.String()), stepDetail(s))
			}
		}
	}
	if last == nil {
		return fmt.Errorf("%s: the watch ended without the run", name)
	}
	fmt.Fprintf(w, "%s %s %s\n", name, shortState(last.State.String()), last.Message)
	if last.State != kamldv1.PipelineRunState_PIPELINE_RUN_STATE_SUCCEEDED {
		return fmt.Errorf("%s %s", name, strings.ToLower(shortState(last.State.String())))
	}
	return nil
}

func stepDetail(s *kamldv1.PipelineStep) string {
	switch s.State {
	case kamldv1.PipelineStepState_PIPELINE_STEP_STATE_CACHED:
		return "from " + s.CachedFrom
	case kamldv1.PipelineStepState_PIPELINE_STEP_STATE_RUNNING:
		return s.Job
	}
	return s.Message
}

func listRuns(cmd *cobra.Command, c *client, _ []string) error {
	l, err := c.pipelines.ListPipelineRuns(c.ctx(cmd.Context()), &kamldv1.ListPipelineRunsRequest{})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tPIPELINE\tSTATE\tSTEPS\tOWNER\tCREATED")
	for _, r := range l.Runs {
		counts := map[string]int{}
		for _, s := range r.Steps {
			counts[strings.ToLower(shortState(s.State.String()))]++
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(counts)) {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", strings.TrimPrefix(r.Name, "pipelineRuns/"), r.Pipeline, shortState(r.State.String()),
			strings.Join(parts, ", "), r.Owner, r.CreateTime.AsTime().Local().Format("2006-01-02 15:04:05"))
	}
	return tw.Flush()
}

func getRun(cmd *cobra.Command, c *client, args []string) error {
	r, err := c.pipelines.GetPipelineRun(c.ctx(cmd.Context()), &kamldv1.GetPipelineRunRequest{Name: runName(args[0])})
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s  pipeline %s  %s  %s\n", r.Name, r.Pipeline, shortState(r.State.String()), r.Message)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tSTATE\tJOB\tOUTPUTS\tDETAIL")
	for _, s := range r.Steps {
		var outs []string
		for _, k := range slices.Sorted(maps.Keys(s.Outputs)) {
			outs = append(outs, k+"="+s.Outputs[k])
		}
		detail := s.Message
		if s.CachedFrom != "" {
			detail = "cached from " + s.CachedFrom
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, shortState(s.State.String()), orDash(s.Job), orDash(strings.Join(outs, " ")), detail)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func stepLogs(cmd *cobra.Command, c *client, run, step string, follow bool) error {
	r, err := c.pipelines.GetPipelineRun(c.ctx(cmd.Context()), &kamldv1.GetPipelineRunRequest{Name: runName(run)})
	if err != nil {
		return err
	}
	for _, s := range r.Steps {
		if s.Name != step {
			continue
		}
		job := s.Job
		if job == "" {
			job = s.CachedJob // a cached step's log is the log of the job that made its outputs
		}
		if job == "" {
			return fmt.Errorf("step %s has not run yet (%s)", step, shortState(s.State.String()))
		}
		st, err := kamldv1.NewJobServiceClient(c.conn).StreamJobLogs(c.ctx(cmd.Context()), &kamldv1.StreamJobLogsRequest{Name: job, Follow: follow})
		if err != nil {
			return err
		}
		for {
			chunk, err := st.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), chunk.Text)
		}
	}
	return fmt.Errorf("run %s has no step %q", r.Name, step)
}
