// Package pipeline is kamld's multi-step workflow domain: a pipeline file (YAML) of steps, each of which runs
// as a job (package job, through the Jobs interface), ordered as a DAG by explicit `after:` lists and by the
// data one step reads from another; a scheduler that runs independent steps in parallel, retries by exit
// code and carries exported environment forward; run state durable in the object store; and caching by
// content: a step whose key (input snapshots, code, image, environment, parameters) matches an earlier
// successful step reuses that step's output snapshots. docs/pipelines.md describes the format.
package pipeline

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// MaxSourceBytes bounds a pipeline file.
const MaxSourceBytes = 1 << 20

// Spec is a parsed pipeline file.
type Spec struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Parameters  map[string]Param  `yaml:"parameters"`
	Env         map[string]string `yaml:"env"`
	// OnFailure is "stop" (default: cancel running steps, start no more) or "continue" (finish every step
	// that does not depend on the failed one).
	OnFailure string `yaml:"on_failure"`
	// MaxParallel bounds the steps of one run that run at once (0: the sidecar's limit).
	MaxParallel int    `yaml:"max_parallel"`
	Steps       []Step `yaml:"steps"`
}

// Param is a parameter with its default; a parameter without one must be given to each run.
type Param struct {
	Default     *string `yaml:"default"`
	Description string  `yaml:"description"`
}

// UnmarshalYAML accepts a bare default (`epochs: 3`) or a mapping ({default, description}).
func (p *Param) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			return nil
		}
		v := n.Value
		p.Default = &v
		return nil
	}
	type plain Param
	return n.Decode((*plain)(p))
}

// Step is one step: it runs as a job.
type Step struct {
	Name         string            `yaml:"name"`
	Command      []string          `yaml:"command"`
	Notebook     string            `yaml:"notebook"`
	WorkingFiles []WorkFile        `yaml:"working_files"`
	Flavor       string            `yaml:"flavor"`
	Resources    Resources         `yaml:"resources"`
	NodeSelector map[string]string `yaml:"node_selector"`
	Env          map[string]string `yaml:"env"`
	// Inputs map a folder of the work directory to "dataset@ref" or "steps.<step>.outputs.<folder>".
	Inputs map[string]string `yaml:"inputs"`
	// Outputs map a folder of the work directory to the dataset it is committed to.
	Outputs map[string]string `yaml:"outputs"`
	Retries Retries           `yaml:"retries"`
	Timeout string            `yaml:"timeout"`
	// Cache false always runs the step (and so every step that reads its outputs).
	Cache *bool    `yaml:"cache"`
	After []string `yaml:"after"`
}

// WorkFile is a file copied into the step's work directory: a path relative to the pipeline's folder.
type WorkFile struct {
	Source     string `yaml:"source"`
	Path       string `yaml:"path"`
	Executable bool   `yaml:"executable"`
}

// UnmarshalYAML accepts a bare path or a mapping.
func (w *WorkFile) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		w.Source = n.Value
		return nil
	}
	type plain WorkFile
	return n.Decode((*plain)(w))
}

// Resources are what a step's job requests, as in a job.
type Resources struct {
	CPU    string `yaml:"cpu"`
	Memory string `yaml:"memory"`
	GPU    int32  `yaml:"gpu"`
}

// Retries says how often a failed step runs again: Limit times, and only after an exit code in OnExitCodes
// when that is given.
type Retries struct {
	Limit       int   `yaml:"limit"`
	OnExitCodes []int `yaml:"on_exit_codes"`
}

// UnmarshalYAML accepts a bare count (`retries: 2`) or a mapping.
func (r *Retries) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&r.Limit)
	}
	type plain Retries
	return n.Decode((*plain)(r))
}

// Parse reads a pipeline file: YAML (JSON is YAML too), unknown fields refused. A syntax error is
// INVALID_ARGUMENT on field "source" with the line.
func Parse(src []byte) (*Spec, error) {
	if len(src) > MaxSourceBytes {
		return nil, apierr.InvalidArgument("source", "is %d bytes; at most %d", len(src), MaxSourceBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	var s Spec
	if err := dec.Decode(&s); err != nil {
		if err == io.EOF {
			return nil, apierr.InvalidArgument("source", "is empty; a pipeline needs a name and steps")
		}
		return nil, apierr.InvalidArgument("source", "is not a pipeline file: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra any
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, apierr.InvalidArgument("source", "holds more than one YAML document")
	}
	return &s, nil
}

func stepField(name, field string) string {
	if field == "" {
		return fmt.Sprintf("steps.%s", name)
	}
	return fmt.Sprintf("steps.%s.%s", name, field)
}

// FileSources are the working files the steps name (notebooks included), each once: what a client that does
// not share the sidecar's workspace reads beside the pipeline file and sends with it.
func (s *Spec) FileSources() []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if p != "" && !seen[p] && !paramRE.MatchString(p) {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, st := range s.Steps {
		for _, w := range st.WorkingFiles {
			add(w.Source)
		}
		add(st.Notebook)
	}
	return out
}
