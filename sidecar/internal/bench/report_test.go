package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writePart writes fields, with the date and the machine's load average, as KAMLD_BENCH_OUT/benchmarks-<name>.json
// for the report of make bench (scripts/bench_report.py); nothing when KAMLD_BENCH_OUT is unset.
func writePart(b *testing.B, name string, fields map[string]any) {
	dir := os.Getenv("KAMLD_BENCH_OUT")
	if dir == "" {
		return
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fields["date"] = time.Now().UTC().Format("2006-01-02 15:04 UTC")
	fields["load_average"] = strings.Fields(string(load) + " ?")[0]
	out, err := json.MarshalIndent(fields, "", "  ")
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "benchmarks-"+name+".json"), append(out, '\n'), 0o644)
	}
	if err != nil {
		b.Error(err)
	}
}
