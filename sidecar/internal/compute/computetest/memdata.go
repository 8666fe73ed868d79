package computetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
)

// MemData is a compute.Data holding snapshots and drafts in memory, so the suite can seed inputs and read
// outputs without a store. Backends whose executor runs out of process (the Kubernetes in-pod helper) use
// the real compute.DatasetData in their own tests instead.
type MemData struct {
	mu        sync.Mutex
	snapshots map[string]map[string]string // snapshot id → files
	drafts    map[string]map[string]string // dataset → files
}

// NewMemData returns empty data.
func NewMemData() *MemData {
	return &MemData{snapshots: map[string]map[string]string{}, drafts: map[string]map[string]string{}}
}

// Seed records a snapshot of dataset holding files and returns its id.
func (m *MemData) Seed(dataset string, files map[string]string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := sha256.New()
	fmt.Fprint(h, dataset)
	for _, k := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprint(h, k, files[k])
	}
	id := hex.EncodeToString(h.Sum(nil))
	m.snapshots[dataset+"@"+id] = maps.Clone(files)
	return id
}

// Draft returns the files stored into dataset's draft, nil if none.
func (m *MemData) Draft(dataset string) map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.drafts[dataset])
}

// Fetch implements compute.Data.
func (m *MemData) Fetch(_ context.Context, in compute.Input, dir string) error {
	m.mu.Lock()
	files, ok := m.snapshots[in.Dataset+"@"+in.Snapshot]
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("snapshot %s@%s: %w", in.Dataset, in.Snapshot, apierr.ErrNotFound)
	}
	for p, content := range files {
		if err := compute.WriteFileAtomic(filepath.Join(dir, filepath.FromSlash(p)), bytes.NewReader([]byte(content)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Store implements compute.Data.
func (m *MemData) Store(_ context.Context, out compute.Output, dir string) error {
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.drafts[out.Dataset] == nil {
		m.drafts[out.Dataset] = map[string]string{}
	}
	maps.Copy(m.drafts[out.Dataset], files)
	return nil
}
