package job

import (
	"testing"

	"github.com/stretchr/testify/assert"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// TestArgumentRule: shell syntax and variables are refused in every argument a shell would read or that would
// be passed literally by mistake, and accepted only as inline code of an interpreter that is not a shell.
func TestArgumentRule(t *testing.T) {
	for _, c := range []struct {
		command []string
		ok      bool
	}{
		{[]string{"python3", "-c", "import os; print(os.environ['HOME'], '$HOME')\nprint(1)"}, true},
		{[]string{"python3.12", "-c", "print('$1; ok')"}, true},
		{[]string{"node", "-e", "let a = 1; console.log(`${a}`)"}, true},
		{[]string{"Rscript", "-e", "x <- 1; print(x)"}, true},
		{[]string{"bash", "-c", "echo hello"}, true},
		{[]string{"bash", "run.sh", "--price", "5 $"}, true},
		{[]string{"bash", "-c", "echo $HOME"}, false},
		{[]string{"sh", "-c", "echo ${HOME}"}, false},
		{[]string{"python3", "train.py", "$OUT"}, false},
		{[]string{"python3", "train.py", "$1"}, false},
		{[]string{"python3", "train.py", "-c", "a;b"}, false}, // -c of a script, not of the interpreter
		{[]string{"perl", "-n", "print $_"}, false},
		{[]string{"zsh", "-e", "$?"}, false},
	} {
		v := violations{}
		checkCommand(&v, &kamldv1.Job{Command: c.command})
		assert.Equal(t, c.ok, len(v) == 0, "%q: %v", c.command, v)
	}
}
