// Package fs is the embedded blob store: a directory on the local filesystem.
//
// This file holds what the server needs of it today (creation and health); the object API arrives with the
// datasets capability.
package fs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Store is a blob store rooted at a directory.
type Store struct {
	root string
}

// New opens (creating if needed, mode 0700) a store rooted at dir.
func New(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("fs store: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(abs, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("fs store: %w", err)
	}
	return &Store{root: abs}, nil
}

// Name implements backend.Backend.
func (s *Store) Name() string { return "fs" }

// Location implements backend.Backend.
func (s *Store) Location() string { return s.root }

// Health writes and removes a probe file: a store that cannot be written to (disk full, directory removed,
// read-only mount) is not serving, even if it can still be read.
func (s *Store) Health(ctx context.Context) error {
	f, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "health-*")
	if err != nil {
		return fmt.Errorf("store directory is not writable: %w", err)
	}
	name := f.Name()
	_, werr := f.Write([]byte("ok"))
	cerr := f.Close()
	rerr := os.Remove(name)
	for _, e := range []error{werr, cerr, rerr} {
		if e != nil {
			return fmt.Errorf("store directory is not writable: %w", e)
		}
	}
	return ctx.Err()
}

// Close implements backend.Backend.
func (s *Store) Close() error { return nil }
