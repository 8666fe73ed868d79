package compute

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// DatasetData is Data over the dataset engine: inputs are read from snapshots, outputs written to drafts.
type DatasetData struct {
	engine *dataset.Engine
}

// NewDatasetData returns Data backed by engine.
func NewDatasetData(engine *dataset.Engine) *DatasetData { return &DatasetData{engine: engine} }

// Fetch implements Data.
func (d *DatasetData) Fetch(ctx context.Context, in Input, dir string) error {
	page := dataset.Page{Size: 1000}
	for {
		list, err := d.engine.ListFiles(ctx, in.Dataset, in.Snapshot, dataset.ListFilesOptions{Recursive: true, Page: page})
		if err != nil {
			return fmt.Errorf("list %s@%s: %w", in.Dataset, in.Snapshot, err)
		}
		for _, f := range list.Files {
			if err := d.fetchFile(ctx, in, f.Path, dir); err != nil {
				return err
			}
		}
		if list.NextToken == "" {
			return nil
		}
		page.Token = list.NextToken
	}
}

func (d *DatasetData) fetchFile(ctx context.Context, in Input, path, dir string) error {
	rc, _, err := d.engine.OpenFile(ctx, in.Dataset, in.Snapshot, path, 0, 0)
	if err != nil {
		return fmt.Errorf("read %s@%s/%s: %w", in.Dataset, in.Snapshot, path, err)
	}
	defer rc.Close()
	// Paths in a dataset are validated (relative, no "..") so joining cannot escape dir.
	return WriteFileAtomic(filepath.Join(dir, filepath.FromSlash(path)), rc, 0o644)
}

// Store implements Data.
func (d *DatasetData) Store(ctx context.Context, out Output, dir string) error {
	return filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fmt.Errorf("output folder %s was not created by the run", out.Path)
			}
			return err
		}
		if !e.Type().IsRegular() {
			return nil // folders are implied; symlinks and devices are not data
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if err := resource.ValidatePath(rel); err != nil {
			return fmt.Errorf("output file %q: %v", rel, err)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := d.engine.WriteFile(ctx, out.Dataset, rel, f, dataset.WriteOptions{}); err != nil {
			return fmt.Errorf("store %s into %s: %w", rel, out.Dataset, err)
		}
		return nil
	})
}

// WriteFileAtomic writes r to path (creating its folder) through a temporary file and a rename, so a reader
// or a crash never leaves half a file under the final name.
func WriteFileAtomic(path string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
