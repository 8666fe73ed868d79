package job

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Limits of a job spec (job.proto).
const (
	MaxDisplayName   = 256
	MaxArgs          = 256
	MaxArgBytes      = 4096
	MaxWorkFiles     = 100
	MaxInlineBytes   = 1 << 20
	MaxInputs        = 32
	MaxOutputs       = 16
	MaxEnv           = 128
	MaxEnvValueBytes = 32 << 10
	MaxLabels        = 64
	MaxRetries       = 10
	MaxCPUMilli      = 256 * 1000
	MaxMemoryBytes   = 4 << 40
	MinMemoryBytes   = 4 << 20
	MaxGPUs          = 16
	MaxTimeout       = 30 * 24 * time.Hour
	DefaultTimeout   = 24 * time.Hour
	DefaultCPU       = "1"
	DefaultMemory    = "1Gi"
)

var (
	// programRE is what a program name may look like: a plain name or path, nothing a shell would read.
	programRE = regexp.MustCompile(`^[A-Za-z0-9._+/-]+$`)
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	labelRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$`)
	// The rule for arguments. Commands never pass through a shell, so an argument holding what a shell would
	// expand or interpret (shellSyntax, or a variable such as $HOME, $1, $?) is refused wherever it is: in an
	// ordinary argument it would be passed literally — almost surely not what was meant — and in a shell's own
	// script (bash -c "…") it would be interpreted, the classic shape of an injection. A shell as the program
	// is allowed and its script is checked like any argument. The one exception is inline code for an
	// interpreter that is not a shell (python -c, node -e, Rscript -e, perl -e, ruby -e, julia -e): no shell
	// reads it, and ';', '$' or newlines in it are that language's own.
	shellSyntax = []string{";", "|", "&", "`", "$(", "${", ">", "<", "\n", "\r"}
	// shellVarRE is a shell parameter expansion: $NAME, $1, $?, $$, $@ …
	shellVarRE = regexp.MustCompile(`\$[A-Za-z0-9_?!#@*$-]`)
	// inlineCode maps interpreters (by program base name, a trailing version stripped) to their flags whose
	// next argument is code in their language.
	inlineCode = map[string][]string{
		"python": {"-c"}, "node": {"-e", "-p", "--eval", "--print"}, "nodejs": {"-e", "-p", "--eval", "--print"},
		"Rscript": {"-e"}, "perl": {"-e", "-E"}, "ruby": {"-e"}, "julia": {"-e", "--eval"},
	}
	versionSuffixRE = regexp.MustCompile(`[0-9.]+$`)
)

// isInlineCode reports an argument at index i (of command) that is code for a non-shell interpreter: it
// follows the interpreter's code flag, among the interpreter's own options (before any script name, after
// which a "-c" is the script's).
func isInlineCode(command []string, i int) bool {
	if i < 2 {
		return false
	}
	flags := inlineCode[versionSuffixRE.ReplaceAllString(path.Base(command[0]), "")]
	for _, a := range command[1 : i-1] {
		if !strings.HasPrefix(a, "-") {
			return false
		}
	}
	return slices.Contains(flags, command[i-1])
}

// shellSyntaxIn returns what in arg only a shell would interpret, or "".
func shellSyntaxIn(arg string) string {
	for _, s := range shellSyntax {
		if strings.Contains(arg, s) {
			return s
		}
	}
	return shellVarRE.FindString(arg)
}

// violations collects field violations.
type violations []apierr.FieldViolation

func (v *violations) add(field, format string, args ...any) {
	*v = append(*v, apierr.FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
}

func (v violations) err() error { return apierr.InvalidArguments(v) }

// validateSpec checks what a client may set on a Job; output-only fields are ignored. It returns every
// problem at once, as field violations of SubmitJobRequest ("job.command[2]").
func validateSpec(j *kamldv1.Job, flavors map[string]Flavor) (compute.Resources, time.Duration, error) {
	var v violations
	if j == nil {
		v.add("job", "is required")
		return compute.Resources{}, 0, v.err()
	}
	checkText(&v, "job.display_name", j.DisplayName, MaxDisplayName)
	switch _, ok := flavors[j.Flavor]; {
	case j.Flavor == "":
		v.add("job.flavor", "is required; one of %s", strings.Join(slices.Sorted(maps.Keys(flavors)), ", "))
	case !ok:
		v.add("job.flavor", "unknown flavor %q; one of %s", j.Flavor, strings.Join(slices.Sorted(maps.Keys(flavors)), ", "))
	}
	checkCommand(&v, j)
	checkFiles(&v, j.WorkingFiles)
	checkData(&v, j.Inputs, j.Outputs)
	res := checkResources(&v, j.Resources)
	checkEnv(&v, j.Env)
	checkLabels(&v, "job.labels", j.Labels)
	checkLabels(&v, "job.node_selector", j.NodeSelector)
	timeout := DefaultTimeout
	if j.Timeout != nil {
		timeout = j.Timeout.AsDuration()
		if !j.Timeout.IsValid() || timeout <= 0 || timeout > MaxTimeout {
			v.add("job.timeout", "must be positive and at most %s", MaxTimeout)
		}
	}
	if j.MaxRetries < 0 || j.MaxRetries > MaxRetries {
		v.add("job.max_retries", "%d is not in 0..%d", j.MaxRetries, MaxRetries)
	}
	return res, timeout, v.err()
}

func checkText(v *violations, field, s string, maxBytes int) {
	if len(s) > maxBytes {
		v.add(field, "is %d bytes; at most %d", len(s), maxBytes)
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		v.add(field, "has control characters or is not UTF-8")
	}
}

func checkCommand(v *violations, j *kamldv1.Job) {
	switch {
	case len(j.Command) == 0 && j.Notebook == "":
		v.add("job.command", "a command or a notebook is required")
		return
	case len(j.Command) > 0 && j.Notebook != "":
		v.add("job.notebook", "give a command or a notebook, not both")
		return
	case j.Notebook != "":
		checkPath(v, "job.notebook", j.Notebook)
		if !strings.HasSuffix(j.Notebook, ".ipynb") {
			v.add("job.notebook", "%q is not a notebook (.ipynb)", j.Notebook)
		}
		return
	}
	if len(j.Command) > MaxArgs {
		v.add("job.command", "has %d arguments; at most %d", len(j.Command), MaxArgs)
		return
	}
	if !programRE.MatchString(j.Command[0]) {
		v.add("job.command[0]", "%q is not a program name: commands run without a shell, so the first element is the program alone (letters, digits, . _ + - /) and each argument is an element of its own", j.Command[0])
	}
	for i, arg := range j.Command[1:] {
		field := fmt.Sprintf("job.command[%d]", i+1)
		if len(arg) > MaxArgBytes || !utf8.ValidString(arg) || strings.ContainsRune(arg, 0) {
			v.add(field, "is longer than %d bytes, not UTF-8 or has NUL", MaxArgBytes)
			continue
		}
		if isInlineCode(j.Command, i+1) {
			continue // code for an interpreter that is not a shell: see shellSyntax
		}
		if s := shellSyntaxIn(arg); s != "" {
			v.add(field, "contains %q, which only a shell would interpret; commands run without a shell (none expands variables either), so pass each argument as an element of its own, literally", s)
		}
	}
}

func checkPath(v *violations, field, p string) {
	if err := resource.ValidatePath(p); err != nil {
		v.add(field, "path %v (paths are relative to the job's work directory and may not leave it)", err)
	}
}

func checkFiles(v *violations, files []*kamldv1.WorkFile) {
	if len(files) > MaxWorkFiles {
		v.add("job.working_files", "has %d files; at most %d", len(files), MaxWorkFiles)
		return
	}
	for i, f := range files {
		field := fmt.Sprintf("job.working_files[%d]", i)
		switch {
		case (f.Source == "") == (f.Content == nil):
			v.add(field, "exactly one of source and content is required")
		case f.Source != "":
			checkPath(v, field+".source", f.Source)
		case f.Path == "":
			v.add(field+".path", "is required with content")
		case len(f.Content) > MaxInlineBytes:
			v.add(field+".content", "is %d bytes; at most %d", len(f.Content), MaxInlineBytes)
		}
		if f.Path != "" {
			checkPath(v, field+".path", f.Path)
		}
	}
}

func checkData(v *violations, inputs []*kamldv1.JobInput, outputs []*kamldv1.JobOutput) {
	if len(inputs) > MaxInputs || len(outputs) > MaxOutputs {
		v.add("job.inputs", "at most %d inputs and %d outputs", MaxInputs, MaxOutputs)
		return
	}
	var paths []string
	var pathFields []string
	for i, in := range inputs {
		field := fmt.Sprintf("job.inputs[%d]", i)
		sr, err := resource.ParseShortRef(in.Ref)
		switch {
		case err != nil:
			v.add(field+".ref", "%v", err)
		case sr.Path != "":
			v.add(field+".ref", "%q names a file; an input is a whole dataset at a ref (dataset@ref)", in.Ref)
		case sr.Ref.Kind == resource.RefDraft:
			v.add(field+".ref", "the draft changes; an input must be a snapshot, e.g. %s@v1 or %s", sr.Dataset, sr.Dataset)
		}
		checkPath(v, field+".path", in.Path)
		paths, pathFields = append(paths, in.Path), append(pathFields, field+".path")
	}
	seen := map[string]bool{}
	for i, out := range outputs {
		field := fmt.Sprintf("job.outputs[%d]", i)
		checkPath(v, field+".path", out.Path)
		if id, err := resource.ParseDatasetName(field+".dataset", out.Dataset); err != nil {
			v.add(field+".dataset", "%v", err)
		} else if seen[id] {
			v.add(field+".dataset", "%s is already the dataset of another output", out.Dataset)
		} else {
			seen[id] = true
		}
		checkText(v, field+".message", out.Message, 4096)
		paths, pathFields = append(paths, out.Path), append(pathFields, field+".path")
	}
	for i := range paths {
		for k := range i {
			if overlaps(paths[i], paths[k]) {
				v.add(pathFields[i], "%q overlaps %q (%s); inputs and outputs need folders of their own", paths[i], paths[k], pathFields[k])
			}
		}
	}
}

func overlaps(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

func checkResources(v *violations, r *kamldv1.Resources) compute.Resources {
	if r == nil {
		r = &kamldv1.Resources{}
	}
	cpu, mem := r.Cpu, r.Memory
	if cpu == "" {
		cpu = DefaultCPU
	}
	if mem == "" {
		mem = DefaultMemory
	}
	var out compute.Resources
	var err error
	if out.MilliCPU, err = ParseQuantity(cpu, 1000); err != nil {
		v.add("job.resources.cpu", "%v", err)
	} else if out.MilliCPU <= 0 || out.MilliCPU > MaxCPUMilli {
		v.add("job.resources.cpu", "%q is not in 1m..256", cpu)
	}
	if out.MemoryBytes, err = ParseQuantity(mem, 1); err != nil {
		v.add("job.resources.memory", "%v", err)
	} else if out.MemoryBytes < MinMemoryBytes || out.MemoryBytes > MaxMemoryBytes {
		v.add("job.resources.memory", "%q is not in 4Mi..4Ti", mem)
	}
	if r.Gpu < 0 || r.Gpu > MaxGPUs {
		v.add("job.resources.gpu", "%d is not in 0..%d", r.Gpu, MaxGPUs)
	}
	out.GPUs = int(r.Gpu)
	return out
}

func checkEnv(v *violations, env map[string]string) {
	if len(env) > MaxEnv {
		v.add("job.env", "has %d variables; at most %d", len(env), MaxEnv)
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		switch {
		case !envNameRE.MatchString(k):
			v.add("job.env", "%q is not a variable name (letters, digits, _; not starting with a digit)", k)
		case strings.HasPrefix(k, "KAMLD_"):
			v.add("job.env", "%q: names starting with KAMLD_ are reserved", k)
		case len(env[k]) > MaxEnvValueBytes || strings.ContainsRune(env[k], 0) || !utf8.ValidString(env[k]):
			v.add("job.env", "value of %q is longer than %d bytes, has NUL or is not UTF-8", k, MaxEnvValueBytes)
		}
	}
}

func checkLabels(v *violations, field string, labels map[string]string) {
	if len(labels) > MaxLabels {
		v.add(field, "has %d entries; at most %d", len(labels), MaxLabels)
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if !labelRE.MatchString(k) || (labels[k] != "" && !labelRE.MatchString(strings.ToLower(labels[k]))) {
			v.add(field, "%q=%q is not a label (lowercase letters, digits, - _ . /, at most 63 characters)", k, labels[k])
		}
	}
}
