package pipeline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompileInfersDependenciesAndSubstitutesParameters(t *testing.T) {
	src := `name: p
parameters:
  epochs: 3
  name: {description: required}
env: {A: "1"}
steps:
  - name: train
    command: [python3, train.py, --epochs, "{{ params.epochs }}"]
    working_files: [train.py]
    outputs: {model: "model-{{params.name}}"}
  - name: eval
    command: [python3, -c, "print(1)"]
    inputs: {m: steps.train.outputs.model, d: iris@v1}
  - name: report
    command: ["true"]
    after: [eval]
`
	files := Sources{Attached: map[string][]byte{"train.py": []byte("print(1)")}}
	_, err := compile([]byte(src), nil, files, noJobs{})
	require.ErrorContains(t, err, "parameters.name")
	c, err := compile([]byte(src), map[string]string{"name": "x"}, files, noJobs{})
	require.NoError(t, err)
	assert.Equal(t, []string{"train"}, c.byName["eval"].deps)
	assert.Equal(t, []string{"python3", "train.py", "--epochs", "3"}, c.byName["train"].job.Command)
	assert.Equal(t, "model-x", c.byName["train"].job.Outputs[0].Dataset)
	assert.Equal(t, map[string]string{"epochs": "3", "name": "x"}, c.byName["train"].usedParams)
	assert.Equal(t, map[string]bool{"train": true, "eval": true}, c.ancestors(c.byName["report"]))
	assert.Equal(t, map[string]bool{"eval": true, "report": true}, c.descendants("eval"))
	_, err = compile([]byte(src), map[string]string{"name": "x", "nope": "1"}, files, noJobs{})
	require.ErrorContains(t, err, "parameters.nope")
}

func TestCycleIsNamed(t *testing.T) {
	src := "name: p\nsteps:\n  - {name: a, command: [\"true\"], after: [c]}\n  - {name: b, command: [\"true\"], after: [a]}\n  - {name: c, command: [\"true\"], after: [b]}\n"
	_, err := compile([]byte(src), nil, Sources{}, noJobs{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "steps.a.after")
	assert.Contains(t, err.Error(), "a after c after b after a")
}

func TestParseExportedEnv(t *testing.T) {
	env, bad := ParseExportedEnv([]byte("# comment\nA=1\nexport B=\"two words\"\n\nC='x=y'\nbad line\nKAMLD_X=1\n"))
	assert.Equal(t, map[string]string{"A": "1", "B": "two words", "C": "x=y"}, env)
	assert.Len(t, bad, 2)
}

func TestKeyParts(t *testing.T) {
	spec := JobSpec{Command: []string{"python3", "t.py"}, Inputs: []Input{{Ref: "iris@abc", Path: "d"}}, Env: map[string]string{"A": "1"}}
	k1, p1 := keyOf(spec, "host", nil)
	spec.Env = map[string]string{"A": "2"}
	k2, p2 := keyOf(spec, "host", nil)
	assert.NotEqual(t, k1, k2)
	assert.NotEqual(t, p1["env"], p2["env"])
	assert.Equal(t, p1["command"], p2["command"])
	assert.Equal(t, "d=iris@abc", p1["inputs"])
	assert.Empty(t, imageNote("python@sha256:0123"))
	assert.Contains(t, imageNote("python:3.11-slim"), "tag")
}
