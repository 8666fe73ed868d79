package local

import (
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
// The work directory is given to that user first, so the command can write its outputs there.
func credential(work string) (*syscall.Credential, error) {
	v := os.Getenv(runAsEnv)
	if v == "" {
		return nil, nil
	}
	r, err := ParseRunAs(v)
	if err != nil {
		return nil, err
	}
	if r.UID != uint32(os.Getuid()) || r.GID != uint32(os.Getgid()) {
		err := filepath.WalkDir(work, func(p string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, int(r.UID), int(r.GID))
		})
		if err != nil {
			return nil, fmt.Errorf("giving the work directory to %s: %w", r, err)
		}
	}
	return &syscall.Credential{Uid: r.UID, Gid: r.GID, NoSetGroups: true}, nil
}
