package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Isolation (docs/security.md, "Jobs and their tokens"). A local run's command is a process of this machine;
// by default it runs as the sidecar's own OS user, so it can read whatever the sidecar can: its token file,
// its data directory, the store's files. WithRunAs runs commands as another uid and gid instead (the sidecar
// then needs the privilege to switch: root, or CAP_SETUID and CAP_SETGID, and CAP_CHOWN for the work
// directory). Shared mode refuses the local backend without it (wiring).

// runAsEnv passes the uid:gid from the backend to a run's supervisor.
const runAsEnv = "KAMLD_LOCAL_RUN_AS"

// RunAs is a uid and gid commands run as.
type RunAs struct{ UID, GID uint32 }

// ParseRunAs parses "uid:gid" (numbers).
func ParseRunAs(s string) (RunAs, error) {
	u, g, ok := strings.Cut(s, ":")
	uid, uerr := strconv.ParseUint(u, 10, 32)
	gid, gerr := strconv.ParseUint(g, 10, 32)
	if !ok || uerr != nil || gerr != nil {
		return RunAs{}, fmt.Errorf("%q is not uid:gid (two numbers, such as 65534:65534)", s)
	}
	return RunAs{UID: uint32(uid), GID: uint32(gid)}, nil
}

func (r RunAs) String() string { return fmt.Sprintf("%d:%d", r.UID, r.GID) }

// WithRunAs runs every command as r instead of the sidecar's user.
func WithRunAs(r RunAs) Option { return func(b *Backend) { b.runAs = &r } }

// credential is the run's credential from the supervisor's environment: nil to run as the supervisor's user.
// For another user, the work directory is given to that user first, so the command can write its outputs
// there, and the command keeps none of the supervisor's supplementary groups (root's groups would open what
// the uid alone cannot).
func credential(work string) (*syscall.Credential, error) {
	v := os.Getenv(runAsEnv)
	if v == "" {
		return nil, nil
	}
	r, err := ParseRunAs(v)
	if err != nil {
		return nil, err
	}
	if !r.other() {
		return &syscall.Credential{Uid: r.UID, Gid: r.GID, NoSetGroups: true}, nil
	}
	err = filepath.WalkDir(work, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(r.UID), int(r.GID))
	})
	if err != nil {
		return nil, fmt.Errorf("giving the work directory to %s: %w", r, err)
	}
	return &syscall.Credential{Uid: r.UID, Gid: r.GID, Groups: []uint32{}}, nil
}

// other reports whether r is another user or group than this process's.
func (r RunAs) other() bool { return r.UID != uint32(os.Getuid()) || r.GID != uint32(os.Getgid()) }

// workRootFile names, in the backend's root, the directory that holds the work directories of runs whose
// commands run as another user.
const workRootFile = "work-root"

// openWorkRoot returns the directory for the work directories of runs whose commands run as another user.
// That user must not enter the sidecar's data directory, where runs' directories are, so their work
// directories live apart: in a directory of the system's temporary directory that anyone may enter but not
// list (0711, created by MkdirTemp under a random name), each work directory being its run's user's alone
// (0700 once given to it). The choice is kept in root, so a restarted sidecar finds its runs' work again.
func openWorkRoot(root string) (string, error) {
	p := filepath.Join(root, workRootFile)
	if b, err := os.ReadFile(p); err == nil {
		if fi, err := os.Lstat(string(b)); err == nil && fi.IsDir() {
			return string(b), nil
		}
	}
	dir, err := os.MkdirTemp("", "kamld-work-")
	if err == nil {
		err = os.Chmod(dir, 0o711)
	}
	if err == nil {
		err = os.WriteFile(p, []byte(dir), 0o600)
	}
	if err != nil {
		return "", fmt.Errorf("local compute: the work directory root for run_as: %w", err)
	}
	return dir, nil
}

// linkWork makes run d's work directory one of workRoot's, linked from the run's directory, where everything
// else (materializing, collecting outputs) finds it.
func linkWork(workRoot string, d runDir) error {
	target := filepath.Join(workRoot, filepath.Base(string(d)))
	if err := os.Mkdir(target, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := os.Symlink(target, d.work()); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// removeLinkedWork removes the work directory run d's work links to, if any.
func removeLinkedWork(d runDir) {
	if target, err := os.Readlink(d.work()); err == nil {
		_ = os.RemoveAll(target)
	}
}
