package local

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
)

// A run's directory, runs/<job>-<attempt>/, is the whole truth about it, so a restarted sidecar (or a second
// Backend in the same process) sees exactly what the first saw:
//
//	spec.json        the compute.Spec, written before the directory appears (Start renames a complete
//	                 staging directory into place, which is also what makes Start idempotent)
//	state.json       the run's compute.Status as the backend last recorded it (atomic replace)
//	work/            the work directory: files, inputs, outputs
//	log              the command's stdout and stderr, appended by the command itself
//	supervisor.json  pid and start time of the supervisor process, once it was started
//	exit.json        written by the supervisor when the command ended: the result
//	cancel           present once a cancel was asked for
//	monitor.lock     flock held by the one goroutine (of any process) that drives the run
//	keep/            files of the work directory kept after the run (Spec.Keep)
const (
	specFile       = "spec.json"
	stateFile      = "state.json"
	workDir        = "work"
	logFile        = "log"
	supervisorFile = "supervisor.json"
	exitFile       = "exit.json"
	cancelFile     = "cancel"
	lockFile       = "monitor.lock"
	keepDir        = "keep"
)

// exitRecord is what the supervisor writes when the command ends.
type exitRecord struct {
	ExitCode int       `json:"exit_code"`
	Reason   string    `json:"reason"`
	Message  string    `json:"message,omitempty"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
}

// supervisorRecord identifies the supervisor process; the start time guards against pid reuse.
type supervisorRecord struct {
	PID       int    `json:"pid"`
	StartTick uint64 `json:"start_tick"`
}

// stateRecord is compute.Status on disk.
type stateRecord struct {
	Phase     compute.Phase `json:"phase"`
	Reason    string        `json:"reason,omitempty"`
	Message   string        `json:"message,omitempty"`
	ExitCode  int           `json:"exit_code"`
	StartTime time.Time     `json:"start_time"`
	EndTime   time.Time     `json:"end_time"`
}

func (s stateRecord) status() compute.Status {
	return compute.Status{Phase: s.Phase, Reason: s.Reason, Message: s.Message, ExitCode: s.ExitCode, StartTime: s.StartTime, EndTime: s.EndTime}
}

// runDir is one run's directory.
type runDir string

func (d runDir) path(name string) string { return filepath.Join(string(d), name) }
func (d runDir) work() string            { return d.path(workDir) }

func (d runDir) exists() bool {
	_, err := os.Stat(d.path(specFile))
	return err == nil
}

func (d runDir) spec() (compute.Spec, error) {
	var s compute.Spec
	err := readJSON(d.path(specFile), &s)
	return s, err
}

// state reads the recorded status; a run whose monitor has not written one yet is Pending.
func (d runDir) state() (stateRecord, error) {
	var s stateRecord
	err := readJSON(d.path(stateFile), &s)
	if errors.Is(err, fs.ErrNotExist) {
		return stateRecord{Phase: compute.PhasePending, Reason: compute.ReasonWaitingForResources, ExitCode: -1}, nil
	}
	return s, err
}

func (d runDir) setState(s stateRecord) error { return writeJSON(d.path(stateFile), s) }

func (d runDir) cancelled() bool {
	_, err := os.Stat(d.path(cancelFile))
	return err == nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s is corrupt: %w: %v", path, apierr.ErrDataLoss, err)
	}
	return nil
}

// writeJSON replaces path atomically and durably: a crash leaves the old content or the new, never half.
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// parseRunName splits "<job>-<attempt>".
func parseRunName(name string) (compute.RunID, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return compute.RunID{}, false
	}
	n, err := strconv.Atoi(name[i+1:])
	if err != nil || n < 1 {
		return compute.RunID{}, false
	}
	return compute.RunID{Job: name[:i], Attempt: n}, true
}

// procStartTick returns the start time of a process in clock ticks since boot (field 22 of
// /proc/<pid>/stat), or 0 when the process does not exist.
func procStartTick(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(b[i+1:]))
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 || fields[0] == "Z" {
		return 0
	}
	n, _ := strconv.ParseUint(fields[19], 10, 64)
	return n
}

// alive reports whether the recorded supervisor is still the same running process.
func (s supervisorRecord) alive() bool {
	return s.PID > 0 && s.StartTick != 0 && procStartTick(s.PID) == s.StartTick
}
