package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Request is a pipeline to plan or run.
type Request struct {
	Source []byte
	Params map[string]string
	// Files are working files sent with the pipeline, by source path; others are read from BaseDir in the
	// workspace.
	Files   map[string][]byte
	BaseDir string
	// RerunFrom names a step that runs whatever the cache holds, and with it every step after it.
	RerunFrom string
}

// Action is what a run would do with a step.
type Action string

// Actions.
const (
	ActionRun    Action = "run"
	ActionCached Action = "cached"
)

// StepPlan is what a run would do with a step, and why.
type StepPlan struct {
	Name    string
	Deps    []string
	Action  Action
	Reasons []string
	// Key is the step's cache key; empty when it depends on a step that runs (its inputs are not known yet).
	Key        string
	Image      string
	ImageNote  string
	CachedFrom string // run id
	CachedJob  string // job id
}

// Plan is what a run of a pipeline would do, step by step, in an order the steps can run in.
type Plan struct {
	Pipeline string
	Steps    []StepPlan
}

func (m *Manager) compile(req Request) (*compiled, map[string]bool, error) {
	files := Sources{Attached: req.Files, Workspace: m.workspace, BaseDir: req.BaseDir}
	if req.BaseDir != "" {
		if err := resource.ValidatePath(req.BaseDir); err != nil {
			return nil, nil, apierr.InvalidArgument("base_dir", "%v", err)
		}
	}
	c, err := compile(req.Source, req.Params, files, m.jobs)
	if err != nil {
		return nil, nil, err
	}
	forced := map[string]bool{}
	if req.RerunFrom != "" {
		if c.byName[req.RerunFrom] == nil {
			return nil, nil, apierr.InvalidArgument("rerun_from", "the pipeline has no step %q", req.RerunFrom)
		}
		forced = c.descendants(req.RerunFrom)
	}
	return c, forced, nil
}

// Plan validates a pipeline and says, without running anything, which steps a run would execute and which
// it would take from the cache, and why.
func (m *Manager) Plan(ctx context.Context, req Request) (*Plan, error) {
	c, forced, err := m.compile(req)
	if err != nil {
		return nil, err
	}
	pinned, err := m.pin(ctx, c)
	if err != nil {
		return nil, err
	}
	p := &Plan{Pipeline: c.spec.Name}
	done := map[string]upstream{}
	for _, st := range c.order {
		sp := StepPlan{Name: st.Name, Deps: st.deps, Action: ActionRun}
		if up := slices.IndexFunc(st.deps, func(d string) bool { _, ok := done[d]; return !ok }); up >= 0 {
			sp.Reasons = []string{"step " + st.deps[up] + " before it runs, so its inputs are new"}
			if sp.Image, err = m.jobs.Image(ctx, checkable(st.job)); err != nil {
				return nil, fmt.Errorf("steps.%s.flavor: %w", st.Name, err)
			}
			sp.ImageNote = imageNote(sp.Image)
			p.Steps = append(p.Steps, sp)
			continue
		}
		d, err := m.decide(ctx, c, st, c.resolve(st, done, pinned), forced, req.RerunFrom)
		if err != nil {
			return nil, err
		}
		sp.Key, sp.Image, sp.ImageNote, sp.Reasons = d.key, d.image, imageNote(d.image), d.reasons
		if d.hit != nil {
			sp.Action, sp.CachedFrom, sp.CachedJob = ActionCached, d.hit.Run, d.hit.Job
			done[st.Name] = upstream{outputs: d.hit.Outputs, exported: d.hit.Exported}
		}
		p.Steps = append(p.Steps, sp)
	}
	return p, nil
}

// upstream is what a finished step leaves for the steps after it.
type upstream struct{ outputs, exported map[string]string }

// resolve is the job a step runs as, given its finished dependencies and the run's pinned refs.
func (c *compiled) resolve(st *cstep, done map[string]upstream, pinned map[string]string) JobSpec {
	j := st.job
	j.Inputs = nil
	for _, in := range st.job.Inputs {
		if m := stepRefRE.FindStringSubmatch(in.Ref); m != nil {
			in.Ref = done[m[1]].outputs[m[2]]
		} else {
			in.Ref = pinned[in.Ref]
		}
		j.Inputs = append(j.Inputs, in)
	}
	j.Env = maps.Clone(st.pipeEnv)
	anc := c.ancestors(st)
	for _, a := range c.order {
		if anc[a.Name] {
			maps.Copy(j.Env, done[a.Name].exported)
		}
	}
	maps.Copy(j.Env, st.ownEnv)
	return j
}

// ancestors are the steps st depends on, directly or not.
func (c *compiled) ancestors(st *cstep) map[string]bool {
	out := map[string]bool{}
	stack := slices.Clone(st.deps)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !out[n] {
			out[n] = true
			stack = append(stack, c.byName[n].deps...)
		}
	}
	return out
}

// pin resolves every dataset ref the steps read to a snapshot id, once per run.
func (m *Manager) pin(ctx context.Context, c *compiled) (map[string]string, error) {
	out := map[string]string{}
	for _, st := range c.steps {
		for _, in := range st.job.Inputs {
			if stepRefRE.MatchString(in.Ref) || out[in.Ref] != "" {
				continue
			}
			sr, _ := resource.ParseShortRef(in.Ref) // checked by compile
			snap, err := m.datasets.GetSnapshot(ctx, sr.Dataset, sr.Ref.String())
			if err != nil {
				if errors.Is(err, apierr.ErrNotFound) {
					return nil, fmt.Errorf("steps.%s.inputs.%s: %s: %w", st.Name, in.Path, in.Ref, err)
				}
				return nil, err
			}
			out[in.Ref] = sr.Dataset + "@" + snap.ID
		}
	}
	return out, nil
}

// decision is whether a ready step runs or reuses a cached result.
type decision struct {
	key     string
	parts   map[string]string
	image   string
	hit     *cacheEntry
	reasons []string
}

func (m *Manager) decide(ctx context.Context, c *compiled, st *cstep, spec JobSpec, forced map[string]bool, from string) (decision, error) {
	image, err := m.jobs.Image(ctx, spec)
	if err != nil {
		return decision{}, fmt.Errorf("steps.%s.flavor: %w", st.Name, err)
	}
	d := decision{image: image}
	d.key, d.parts = keyOf(spec, image, st.usedParams)
	switch {
	case !st.cached():
		d.reasons = []string{"cache: false"}
		return d, nil
	case forced[st.Name] && st.Name == from:
		d.reasons = []string{"re-run from this step was asked for"}
		return d, nil
	case forced[st.Name]:
		d.reasons = []string{"re-run from step " + from + ", which it depends on"}
		return d, nil
	}
	hit, gone, err := m.lookup(ctx, d.key)
	if err != nil {
		return d, err
	}
	if hit != nil {
		d.hit = hit
		d.reasons = []string{fmt.Sprintf("unchanged since run %s (step %s, job %s)", hit.Run, hit.Step, hit.Job)}
		return d, nil
	}
	d.reasons, err = m.why(ctx, c.spec.Name, st.Name, d.parts, gone)
	return d, err
}
