package pipeline

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Limits of a pipeline.
const (
	MaxSteps       = 500
	MaxParams      = 64
	MaxRetries     = 10
	MaxParallelCap = 64
)

var (
	nameRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$`)
	stepNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	varNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// paramRE is a parameter reference, substituted before the step runs: {{ params.epochs }}.
	paramRE = regexp.MustCompile(`\{\{\s*params\.([A-Za-z0-9_]*)\s*\}\}`)
	// stepRefRE is an input read from another step: steps.<step>.outputs.<folder>.
	stepRefRE = regexp.MustCompile(`^steps\.([^.]+)\.outputs\.(.+)$`)
)

// compiled is a validated pipeline with its parameters substituted: what Plan and Run work from.
type compiled struct {
	spec   *Spec
	params map[string]string
	steps  []*cstep // in file order
	order  []*cstep // topological, file order among equals
	byName map[string]*cstep
}

// cstep is a validated step.
type cstep struct {
	Step
	index int
	deps  []string // steps it waits for, sorted
	// job is the step's job with inputs still as written ("ds@ref" or "steps.x.outputs.y") and without the
	// environment exported by earlier steps.
	job        JobSpec
	usedParams map[string]string
	// pipeEnv and ownEnv are the pipeline's and the step's environment, parameters substituted; what
	// earlier steps export goes between the two.
	pipeEnv, ownEnv map[string]string
}

func (c *cstep) cached() bool { return c.Cache == nil || *c.Cache }

// violations collects field violations.
type violations []apierr.FieldViolation

func (v *violations) add(field, format string, args ...any) {
	*v = append(*v, apierr.FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// compile parses and validates a pipeline file with the run's parameters; every problem at once, as
// INVALID_ARGUMENT with field violations naming the step and field ("steps.train.inputs.data").
func compile(src []byte, params map[string]string, files FileReader, jobs Jobs) (*compiled, error) {
	s, err := Parse(src)
	if err != nil {
		return nil, err
	}
	var v violations
	c := &compiled{spec: s, byName: map[string]*cstep{}}
	c.params = checkParams(&v, s, params)
	checkHeader(&v, s)
	for i := range s.Steps {
		st := &cstep{Step: s.Steps[i], index: i}
		field := stepField(st.Name, "")
		if st.Name == "" {
			field = fmt.Sprintf("steps[%d]", i)
		}
		switch {
		case !stepNameRE.MatchString(st.Name):
			v.add(field+".name", "%q is not a step name (a lowercase letter, then lowercase letters, digits, - or _, at most 40)", st.Name)
		case c.byName[st.Name] != nil:
			v.add(field+".name", "%q is the name of an earlier step too", st.Name)
		default:
			c.byName[st.Name] = st
		}
		c.steps = append(c.steps, st)
	}
	for _, st := range c.steps {
		c.checkStep(&v, st, files, jobs)
	}
	if len(v) == 0 {
		c.order = c.sort(&v)
	}
	if len(v) > 0 {
		return nil, apierr.InvalidArguments(v)
	}
	return c, nil
}

func checkHeader(v *violations, s *Spec) {
	if !nameRE.MatchString(s.Name) {
		v.add("name", "%q is not a pipeline name (lowercase letters, digits, - _ ., at most 63)", s.Name)
	}
	switch s.OnFailure {
	case "", "stop", "continue":
	default:
		v.add("on_failure", "%q is not stop or continue", s.OnFailure)
	}
	if s.MaxParallel < 0 || s.MaxParallel > MaxParallelCap {
		v.add("max_parallel", "%d is not in 0..%d", s.MaxParallel, MaxParallelCap)
	}
	checkEnvNames(v, "env", s.Env)
	switch {
	case len(s.Steps) == 0:
		v.add("steps", "a pipeline needs at least one step")
	case len(s.Steps) > MaxSteps:
		v.add("steps", "has %d steps; at most %d", len(s.Steps), MaxSteps)
	}
}

func checkEnvNames(v *violations, field string, env map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if !varNameRE.MatchString(k) || strings.HasPrefix(k, "KAMLD_") {
			v.add(field+"."+k, "%q is not a variable name of your own (letters, digits, _; KAMLD_ is reserved)", k)
		}
	}
}

// checkParams returns the effective parameters: the given ones over the defaults.
func checkParams(v *violations, s *Spec, given map[string]string) map[string]string {
	if len(s.Parameters) > MaxParams {
		v.add("parameters", "has %d parameters; at most %d", len(s.Parameters), MaxParams)
	}
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(s.Parameters)) {
		if !varNameRE.MatchString(k) {
			v.add("parameters."+k, "%q is not a parameter name (letters, digits, _)", k)
		}
		if d := s.Parameters[k].Default; d != nil {
			out[k] = *d
		}
	}
	for _, k := range slices.Sorted(maps.Keys(given)) {
		if _, ok := s.Parameters[k]; !ok {
			v.add("parameters."+k, "the pipeline declares no parameter %q", k)
			continue
		}
		out[k] = given[k]
	}
	for _, k := range slices.Sorted(maps.Keys(s.Parameters)) {
		if _, ok := out[k]; !ok {
			v.add("parameters."+k, "has no default; give a value for each run")
		}
	}
	return out
}

// subst replaces parameter references in s, recording the parameters used; unknown ones are violations.
func (c *compiled) subst(v *violations, field, s string, used map[string]string) string {
	return paramRE.ReplaceAllStringFunc(s, func(m string) string {
		name := paramRE.FindStringSubmatch(m)[1]
		val, ok := c.params[name]
		if _, declared := c.spec.Parameters[name]; !declared {
			v.add(field, "refers to {{ params.%s }}, which the pipeline does not declare", name)
			return m
		} else if !ok {
			return m // reported by checkParams
		}
		used[name] = val
		return val
	})
}

func (c *compiled) checkStep(v *violations, st *cstep, files FileReader, jobs Jobs) {
	f := func(field string) string { return stepField(st.Name, field) }
	st.usedParams = map[string]string{}
	j := JobSpec{DisplayName: c.spec.Name + "/" + st.Name, Flavor: st.Flavor, Resources: st.Resources,
		NodeSelector: st.NodeSelector, Env: map[string]string{}}
	if j.Flavor == "" {
		j.Flavor = "cpu"
	}
	for i, a := range st.Command {
		j.Command = append(j.Command, c.subst(v, f(fmt.Sprintf("command[%d]", i)), a, st.usedParams))
	}
	j.Notebook = c.subst(v, f("notebook"), st.Notebook, st.usedParams)
	st.pipeEnv, st.ownEnv = map[string]string{}, map[string]string{}
	for k, val := range c.spec.Env {
		st.pipeEnv[k] = c.subst(v, "env."+k, val, st.usedParams)
	}
	checkEnvNames(v, f("env"), st.Env)
	for k, val := range st.Env {
		st.ownEnv[k] = c.subst(v, f("env."+k), val, st.usedParams)
	}
	maps.Copy(j.Env, st.pipeEnv)
	maps.Copy(j.Env, st.ownEnv)
	c.checkFiles(v, st, &j, files)
	deps := map[string]bool{}
	c.checkInputs(v, st, &j, deps)
	c.checkOutputs(v, st, &j)
	for i, a := range st.After {
		switch {
		case a == st.Name:
			v.add(f(fmt.Sprintf("after[%d]", i)), "a step cannot run after itself")
		case c.byName[a] == nil:
			v.add(f(fmt.Sprintf("after[%d]", i)), "unknown step %q", a)
		default:
			deps[a] = true
		}
	}
	st.deps = slices.Sorted(maps.Keys(deps))
	if st.Timeout != "" {
		d, err := time.ParseDuration(st.Timeout)
		if err != nil || d <= 0 {
			v.add(f("timeout"), "%q is not a positive duration such as 30m or 2h", st.Timeout)
		}
		j.Timeout = d
	}
	if st.Retries.Limit < 0 || st.Retries.Limit > MaxRetries {
		v.add(f("retries.limit"), "%d is not in 0..%d", st.Retries.Limit, MaxRetries)
	}
	for i, code := range st.Retries.OnExitCodes {
		if code < 1 || code > 255 {
			v.add(f(fmt.Sprintf("retries.on_exit_codes[%d]", i)), "%d is not an exit code of a failure (1..255)", code)
		}
	}
	for _, jv := range jobs.Check(checkable(j)) {
		v.add(f(c.jobField(st, &j, jv.Field)), "%s", jv.Description)
	}
	st.job = j
}

// checkable is the job with inputs read from other steps replaced by a stand-in snapshot ref: those are
// checked here, the rest of the job by the job domain.
func checkable(j JobSpec) JobSpec {
	j.Inputs = slices.Clone(j.Inputs)
	for i, in := range j.Inputs {
		if strings.HasPrefix(in.Ref, "steps.") {
			j.Inputs[i].Ref = "step-output@v1"
		}
	}
	return j
}

// jobField renames a job field ("inputs[1].ref") to the step's ("inputs.data").
func (c *compiled) jobField(st *cstep, j *JobSpec, field string) string {
	var idx int
	var rest string
	if n, _ := fmt.Sscanf(field, "inputs[%d]%s", &idx, &rest); n >= 1 && idx < len(j.Inputs) {
		return "inputs." + j.Inputs[idx].Path
	}
	if n, _ := fmt.Sscanf(field, "outputs[%d]%s", &idx, &rest); n >= 1 && idx < len(j.Outputs) {
		return "outputs." + j.Outputs[idx].Path
	}
	if n, _ := fmt.Sscanf(field, "working_files[%d]%s", &idx, &rest); n >= 1 && idx < len(j.Files) {
		return "working_files." + j.Files[idx].Path
	}
	return field
}

func (c *compiled) checkFiles(v *violations, st *cstep, j *JobSpec, files FileReader) {
	wf := slices.Clone(st.WorkingFiles)
	if j.Notebook != "" && !slices.ContainsFunc(wf, func(w WorkFile) bool { return w.Path == j.Notebook || w.Path == "" && w.Source == j.Notebook }) {
		wf = append(wf, WorkFile{Source: j.Notebook}) // the notebook comes with the step
	}
	for i, w := range wf {
		field := stepField(st.Name, fmt.Sprintf("working_files[%d]", i))
		dst := w.Path
		if dst == "" {
			dst = w.Source
		}
		if err := resource.ValidatePath(w.Source); err != nil {
			v.add(field, "source %v", err)
			continue
		}
		b, err := files.Read(w.Source)
		if err != nil {
			v.add(field, "%v", err)
			continue
		}
		j.Files = append(j.Files, File{Path: dst, Content: b, Executable: w.Executable})
	}
}

func (c *compiled) checkInputs(v *violations, st *cstep, j *JobSpec, deps map[string]bool) {
	for _, p := range slices.Sorted(maps.Keys(st.Inputs)) {
		field := stepField(st.Name, "inputs."+p)
		ref := c.subst(v, field, st.Inputs[p], st.usedParams)
		j.Inputs = append(j.Inputs, Input{Ref: ref, Path: p})
		m := stepRefRE.FindStringSubmatch(ref)
		if m == nil {
			if strings.HasPrefix(ref, "steps.") {
				v.add(field, "%q is not steps.<step>.outputs.<folder>", ref)
			}
			continue // a dataset ref: the job's own check reports a bad one
		}
		up := c.byName[m[1]]
		switch {
		case m[1] == st.Name:
			v.add(field, "a step cannot read its own outputs")
		case up == nil:
			v.add(field, "unknown step %q", m[1])
		case up.Outputs[m[2]] == "":
			v.add(field, "step %s has no output %q (its outputs: %s)", m[1], m[2], strings.Join(slices.Sorted(maps.Keys(up.Outputs)), ", "))
		default:
			deps[m[1]] = true
		}
	}
}

func (c *compiled) checkOutputs(v *violations, st *cstep, j *JobSpec) {
	for _, p := range slices.Sorted(maps.Keys(st.Outputs)) {
		field := stepField(st.Name, "outputs."+p)
		ds := strings.TrimPrefix(c.subst(v, field, st.Outputs[p], st.usedParams), resource.DatasetCollection+"/")
		if err := resource.ValidateDatasetID(ds); err != nil {
			v.add(field, "cannot write dataset %q: %v", ds, err)
		}
		for _, other := range c.steps[:st.index] {
			for op, ods := range other.Outputs {
				if strings.TrimPrefix(ods, resource.DatasetCollection+"/") == ds {
					v.add(field, "cannot write dataset %s: step %s writes it too (outputs.%s); two steps writing one dataset would race", ds, other.Name, op)
				}
			}
		}
		j.Outputs = append(j.Outputs, Output{Path: p, Dataset: ds, Message: "output of pipeline " + c.spec.Name + ", step " + st.Name})
	}
}

// sort orders the steps topologically (file order among ready ones) and reports a cycle by its steps.
func (c *compiled) sort(v *violations) []*cstep {
	indeg := map[string]int{}
	users := map[string][]*cstep{}
	for _, st := range c.steps {
		indeg[st.Name] = len(st.deps)
		for _, d := range st.deps {
			users[d] = append(users[d], st)
		}
	}
	var order []*cstep
	done := map[string]bool{}
	for len(order) < len(c.steps) {
		progress := false
		for _, st := range c.steps {
			if !done[st.Name] && indeg[st.Name] == 0 {
				done[st.Name], progress = true, true
				order = append(order, st)
				for _, u := range users[st.Name] {
					indeg[u.Name]--
				}
			}
		}
		if !progress {
			break
		}
	}
	if len(order) < len(c.steps) {
		for _, st := range c.steps {
			if !done[st.Name] {
				v.add(stepField(st.Name, "after"), "is part of a cycle: %s", c.cycle(st, done))
				break
			}
		}
	}
	return order
}

// cycle names one cycle through steps not sorted, starting at st.
func (c *compiled) cycle(st *cstep, done map[string]bool) string {
	path := []string{st.Name}
	seen := map[string]int{st.Name: 0}
	cur := st
	for {
		var next *cstep
		for _, d := range cur.deps {
			if !done[d] {
				next = c.byName[d]
				break
			}
		}
		if next == nil {
			return strings.Join(path, " after ")
		}
		if i, ok := seen[next.Name]; ok {
			return strings.Join(append(path[i:], next.Name), " after ")
		}
		seen[next.Name] = len(path)
		path = append(path, next.Name)
		cur = next
	}
}

// descendants returns the named step and every step that depends on it, directly or not.
func (c *compiled) descendants(name string) map[string]bool {
	out := map[string]bool{name: true}
	for _, st := range c.order {
		for _, d := range st.deps {
			if out[d] {
				out[st.Name] = true
			}
		}
	}
	return out
}
