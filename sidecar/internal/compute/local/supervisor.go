package local

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kamld/kamld/sidecar/internal/compute"
)

// SupervisorEnv names the run directory when the kamld binary (or a test binary) is started as a run's
// supervisor. Programs that can be the supervisor call MaybeSupervise first thing in main (or TestMain).
const SupervisorEnv = "KAMLD_LOCAL_SUPERVISOR"

// MaybeSupervise runs the supervisor and exits when the process was started as one; otherwise it returns.
func MaybeSupervise() {
	if dir := os.Getenv(SupervisorEnv); dir != "" {
		os.Exit(supervise(runDir(dir)))
	}
}

// killGrace is how long a command has between SIGTERM and SIGKILL when it is cancelled or times out.
const killGrace = 5 * time.Second

// supervise runs the command of the run in dir and records its result in exit.json. It is a process of its
// own, started by the backend in a new session, so that the command outlives the sidecar (a restarted
// sidecar finds it again through supervisor.json) while its exit code is still collected: a process's exit
// code can only be read by its parent, and the sidecar that started the run may be gone by then.
//
// The command runs without a shell, in a process group of its own, and is killed (SIGKILL) if the supervisor
// dies. SIGTERM to the supervisor cancels the run; the spec's timeout is enforced here, so it holds while no
// sidecar is running.
func supervise(d runDir) int {
	spec, err := d.spec()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kamld supervisor:", err)
		return 2
	}
	rec := run(d, spec)
	if err := writeJSON(d.path(exitFile), rec); err != nil {
		fmt.Fprintln(os.Stderr, "kamld supervisor:", err)
		return 2
	}
	return 0
}

func run(d runDir, spec compute.Spec) exitRecord {
	rec := exitRecord{ExitCode: -1, Start: time.Now().UTC()}
	log, err := os.OpenFile(d.path(logFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return failed(rec, compute.ReasonError, "open log: "+err.Error())
	}
	defer log.Close()
	// SIGTERM means cancel; catch it before the command starts so none is missed.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)

	cmd := exec.Command(spec.Command[0], spec.Command[1:]...)
	work := d.work()
	if real, err := filepath.EvalSymlinks(work); err == nil {
		work = real // a run_as run's work directory lives apart (openWorkRoot): its user reaches it there
	}
	cmd.Dir = work
	cmd.Env = commandEnv(spec, work)
	if p, ok := spec.Env["PATH"]; ok && !strings.Contains(spec.Command[0], "/") {
		// exec.Command looked the program up in the supervisor's PATH; the run's PATH is the one that counts.
		cmd.Path, cmd.Err = lookPath(spec.Command[0], p)
	}
	cmd.Stdout, cmd.Stderr = log, log
	// Pdeathsig is tied to the thread that forks: keep this goroutine on one thread until the child runs.
	runtime.LockOSThread()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cred, err := credential(work)
	if err != nil {
		runtime.UnlockOSThread()
		fmt.Fprintf(log, "kamld: %v\n", err)
		return failed(rec, compute.ReasonError, err.Error())
	}
	cmd.SysProcAttr.Credential = cred
	err = cmd.Start()
	if err != nil {
		runtime.UnlockOSThread()
		fmt.Fprintf(log, "kamld: cannot start %q: %v\n", spec.Command[0], err)
		return failed(rec, compute.ReasonError, fmt.Sprintf("cannot start %q: %v", spec.Command[0], err))
	}
	applyLimits(cmd.Process.Pid, spec.Resources, log)

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var deadline <-chan time.Time
	if spec.Timeout > 0 {
		t := time.NewTimer(spec.Timeout)
		defer t.Stop()
		deadline = t.C
	}
	reason := ""
	select {
	case err = <-done:
	case <-term:
		reason = compute.ReasonCancelledByUser
		err = stopGroup(cmd.Process.Pid, done)
	case <-deadline:
		reason = compute.ReasonDeadlineExceeded
		err = stopGroup(cmd.Process.Pid, done)
	}
	runtime.UnlockOSThread()
	// Whatever the command left behind in its group goes with it.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	rec.End = time.Now().UTC()
	rec.ExitCode = exitCode(err)
	switch {
	case reason == compute.ReasonDeadlineExceeded:
		rec.Reason, rec.Message = reason, fmt.Sprintf("stopped after the timeout of %s", spec.Timeout)
	case reason != "":
		rec.Reason, rec.Message = reason, "cancelled"
	case rec.ExitCode == 0:
		rec.Reason = compute.ReasonCompleted
	default:
		rec.Reason, rec.Message = compute.ReasonError, describeExit(err)
	}
	return rec
}

func failed(rec exitRecord, reason, msg string) exitRecord {
	rec.Reason, rec.Message, rec.End = reason, msg, time.Now().UTC()
	return rec
}

// stopGroup sends SIGTERM to the command's process group, then SIGKILL after the grace period.
func stopGroup(pgid int, done <-chan error) error {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case err := <-done:
		return err
	case <-time.After(killGrace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return <-done
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode() // -1 when killed by a signal
	}
	return -1
}

func describeExit(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by signal " + ws.Signal().String()
		}
		return fmt.Sprintf("exited with code %d", ee.ExitCode())
	}
	return err.Error()
}

// commandEnv is the sidecar's environment without kamld's own variables (the token must not leak into user
// code), plus the spec's variables and the KAMLD_ ones the run may use.
func commandEnv(spec compute.Spec, work string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KAMLD_") {
			env = append(env, kv)
		}
	}
	for k, v := range spec.Env {
		env = append(env, k+"="+v)
	}
	return append(env, "KAMLD_JOB="+spec.Run.Job, fmt.Sprintf("KAMLD_ATTEMPT=%d", spec.Run.Attempt), "KAMLD_WORKDIR="+work)
}

// applyLimits applies what the OS allows without privileges: the memory request as RLIMIT_DATA (the
// command's heap and private mappings; exceeding it makes allocations fail), no core dumps. CPU and GPU
// requests are not enforced locally: they are admission figures (see the backend's scheduler).
func applyLimits(pid int, r compute.Resources, log *os.File) {
	if r.MemoryBytes > 0 {
		lim := unix.Rlimit{Cur: uint64(r.MemoryBytes), Max: uint64(r.MemoryBytes)}
		if err := unix.Prlimit(pid, unix.RLIMIT_DATA, &lim, nil); err != nil {
			fmt.Fprintf(log, "kamld: memory limit not applied: %v\n", err)
		}
	}
	_ = unix.Prlimit(pid, unix.RLIMIT_CORE, &unix.Rlimit{}, nil)
}

// lookPath finds an executable file named name in the folders of pathList.
func lookPath(name, pathList string) (string, error) {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%q not found in the run's PATH: %w", name, exec.ErrNotFound)
}
