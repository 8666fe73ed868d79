package job

import (
	"strings"
	"testing"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// FuzzValidateSpec feeds arbitrary programs, arguments, paths and quantities to the spec validation: it must
// never panic, and what it accepts must be safe to run without a shell and inside the work directory.
func FuzzValidateSpec(f *testing.F) {
	for _, s := range [][5]string{
		{"python3", "train.py", "data", "500m", "1Gi"},
		{"python3", "x; rm -rf /", "../etc", "1e3", "-1"},
		{"sh -c", "$(id)", "/abs", "", ""},
		{"./run.sh", "--lr=0.1", "a/b/c", "2", "4Ti"},
		{"python", "`id`", "a//b", "0.0001", "1Mi"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	flavors := map[string]Flavor{"cpu": DefaultFlavors()[0]}
	f.Fuzz(func(t *testing.T, program, arg, path, cpu, memory string) {
		j := &kamldv1.Job{Flavor: "cpu", Command: []string{program, arg},
			Inputs:    []*kamldv1.JobInput{{Ref: "iris@v1", Path: path}},
			Resources: &kamldv1.Resources{Cpu: cpu, Memory: memory}}
		res, _, err := validateSpec(j, flavors)
		if err != nil {
			return
		}
		if !programRE.MatchString(program) {
			t.Fatalf("accepted program %q", program)
		}
		if s := shellSyntaxIn(arg); s != "" {
			t.Fatalf("accepted argument %q with %q", arg, s)
		}
		if strings.HasPrefix(path, "/") || path == ".." || strings.HasPrefix(path, "../") || strings.Contains(path, "/../") {
			t.Fatalf("accepted input path %q", path)
		}
		if res.MilliCPU <= 0 || res.MilliCPU > MaxCPUMilli || res.MemoryBytes < MinMemoryBytes || res.MemoryBytes > MaxMemoryBytes {
			t.Fatalf("accepted resources %+v from %q, %q", res, cpu, memory)
		}
	})
}
