package podhelper

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/compute"
)

// A Pod's files go with it, so the file a run exports for the runs after it (Manifest.Export) comes back in
// the run container's termination message, which the kubelet copies into the Pod's status (at most 4096
// bytes). The prefix tells it from a message the user's command wrote itself.
const (
	exportPrefix = "kamld-export:\n"
	// MaxExport is the most bytes of the export file that fit in the termination message beside the prefix.
	MaxExport = 4096 - len(exportPrefix)
)

// ReadExport reads the run's export file: nil when the command wrote none, an error past MaxExport.
func ReadExport(m Manifest, workdir string) ([]byte, error) {
	if m.Export == "" {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(workdir, filepath.FromSlash(m.Export)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the exported environment %s: %w", m.Export, err)
	}
	if len(b) > MaxExport {
		return nil, fmt.Errorf("the exported environment %s is %d bytes; on Kubernetes at most %d bytes are carried to the steps after it",
			m.Export, len(b), MaxExport)
	}
	return b, nil
}

// StoreOutputs is the run step after a command that exited 0: it reads the export file (so one too large
// fails the run before anything is committed), stores the outputs, and returns the export file's content
// for the termination message (nil when the command wrote none).
func StoreOutputs(ctx context.Context, m Manifest, workdir string, data compute.Data) ([]byte, error) {
	export, err := ReadExport(m, workdir)
	if err != nil {
		return nil, err
	}
	if err := Store(ctx, m, workdir, data); err != nil {
		return nil, err
	}
	return export, nil
}

// FailureMessage is the termination message of a helper step that failed: "<reason>: <error>", which the
// Kubernetes backend reads back as the run's reason and message.
func FailureMessage(reason string, err error) string { return reason + ": " + err.Error() }

// ExportMessage is the termination message that carries an export file's content.
func ExportMessage(b []byte) string { return exportPrefix + string(b) }

// ExportFromMessage returns the export file's content carried by a termination message; false when the
// message carries none.
func ExportFromMessage(msg string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(msg, exportPrefix)
	return []byte(rest), ok
}
