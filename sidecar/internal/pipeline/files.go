package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// MaxFileBytes bounds one working file, as a job's.
const MaxFileBytes = 16 << 20

// FileReader reads a step's working files by their source path, relative to the pipeline file's folder.
type FileReader interface {
	Read(source string) ([]byte, error)
}

// Sources reads working files from the files sent with the request (a client that does not share the
// sidecar's workspace sends them), else from BaseDir inside the workspace, confined to the workspace.
type Sources struct {
	Attached  map[string][]byte
	Workspace string
	BaseDir   string // relative to Workspace
}

// Read implements FileReader.
func (s Sources) Read(source string) ([]byte, error) {
	if b, ok := s.Attached[source]; ok {
		return b, nil
	}
	if s.Workspace == "" {
		return nil, fmt.Errorf("%s was not sent with the pipeline and this sidecar has no workspace (compute.workspace) to read it from", source)
	}
	root, err := os.OpenRoot(s.Workspace)
	if err != nil {
		return nil, fmt.Errorf("workspace: %v", err)
	}
	defer root.Close()
	p := filepath.FromSlash(path.Join(s.BaseDir, source))
	f, err := root.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist in the workspace", filepath.ToSlash(p))
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s from the workspace: %v", filepath.ToSlash(p), errors.Unwrap(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > MaxFileBytes {
		return nil, fmt.Errorf("%s is not a regular file of at most 16 MiB", filepath.ToSlash(p))
	}
	b := make([]byte, st.Size())
	_, err = f.ReadAt(b, 0)
	return b, err
}
