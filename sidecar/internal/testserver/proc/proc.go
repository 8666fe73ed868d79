// Package proc is what the real-server test harnesses (minio, trino, elasticsearch, kube) share about running a
// server process: starting it in its own process group with its output kept, waiting until it is ready,
// stopping it with SIGTERM then SIGKILL, finding free loopback ports, and deciding between skip and fail when
// a server is not installed.
package proc

import (
	"context"
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// Process is one running server process. Its output goes to a bounded buffer for failure messages.
type Process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  *Log
}

// Start starts cmd, named name in messages, with its stdout and stderr kept. Unless cmd already has a
// SysProcAttr, the process gets its own process group, so a Ctrl-C on `go test` reaches the test, whose
// cleanup then stops the server in order; a caller that sets SysProcAttr must set Setpgid too.
func Start(name string, cmd *exec.Cmd) (*Process, error) {
	p := &Process{name: name, cmd: cmd, done: make(chan struct{}), log: &Log{}}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Output is what the process printed so far (bounded, newest kept).
func (p *Process) Output() string { return p.log.String() }

// Failure describes why the process is not serving, with the tail of its output, where the reason is.
func (p *Process) Failure(why string) error {
	return fmt.Errorf("%s %s:\n%s", p.name, why, p.log.Tail(4<<10))
}

// Stop sends SIGTERM, then SIGKILL to the process group after grace, and waits for the exit. It then kills
// what is left of the group, so no child (e.g. a JVM under a launcher script) outlives the test. Stopping a
// stopped process does nothing.
func (p *Process) Stop(grace time.Duration) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.killGroup()
		<-p.done
	}
	p.killGroup()
}

func (p *Process) killGroup() { _ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }

// WaitReady calls ready every interval until it returns true, within timeout. When the process exits first,
// or the time runs out, it kills the process group and returns an error with the tail of the output; the
// Process is then finished.
func (p *Process) WaitReady(ctx context.Context, timeout, interval time.Duration, ready func(context.Context) bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		select {
		case <-p.done:
			p.killGroup()
			return p.Failure("exited during startup")
		case <-ctx.Done():
			p.killGroup()
			<-p.done
			return p.Failure("not ready after " + timeout.String())
		case <-time.After(interval):
		}
		if ready(ctx) {
			return nil
		}
	}
}
