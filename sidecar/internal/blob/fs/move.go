package fs

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/kamld/kamld/sidecar/internal/blob"
)

var _ blob.Mover = (*Store)(nil)

// Move implements blob.Mover with two renames and no data copy: src's file moves into tmp/ under src's lock
// (so src disappears atomically), then into dst's place under dst's lock, stamped with dst's next generation
// like a Put. Taking one lock at a time never deadlocks against another Move the other way round. The file
// was flushed when src was written, so only the directories are synced.
func (s *Store) Move(ctx context.Context, src, dst string) (blob.Info, error) {
	for _, k := range []string{src, dst} {
		if err := blob.ValidateKey(k); err != nil {
			return blob.Info{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, err
	}
	tmp, size, err := s.takeOut(src)
	if err != nil {
		return blob.Info{}, err
	}
	defer func() { _ = os.RemoveAll(filepath.Dir(tmp)) }()
	info, err := s.placeIn(dst, tmp, size)
	if err != nil {
		// Best effort: give src its file back, so the caller can retry from it.
		_ = s.rename(src, tmp, s.path(src))
		return blob.Info{}, err
	}
	return info, nil
}

// MoveIsRename implements blob.Mover: yes.
func (s *Store) MoveIsRename() bool { return true }

// takeOut renames src's file into a new folder in tmp/ and returns its temporary path and size. The folder
// is new and not empty, so a store opening meanwhile never takes it for a stale temporary file (the file
// keeps src's possibly old mtime).
func (s *Store) takeOut(src string) (string, int64, error) {
	unlock, err := s.locks.lock(src)
	if err != nil {
		return "", 0, fmt.Errorf("move %q: %w", src, err)
	}
	defer unlock()
	path := s.path(src)
	fi, err := s.statFile(path)
	if err != nil {
		return "", 0, fmt.Errorf("move %q: %w", src, err)
	}
	dir, err := os.MkdirTemp(s.tmp, "move-*")
	if err != nil {
		return "", 0, fmt.Errorf("move %q: %w", src, fsErr(err))
	}
	tmp := filepath.Join(dir, "data")
	if err := os.Rename(path, tmp); err != nil {
		_ = os.Remove(dir)
		return "", 0, fmt.Errorf("move %q: %w", src, fsErr(err))
	}
	// A concurrent Move or Delete of a sibling may have pruned the emptied folder already: nothing to sync.
	if err := s.syncDir(filepath.Dir(path)); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		_ = os.Rename(tmp, path)
		_ = os.Remove(dir)
		return "", 0, fmt.Errorf("move %q: %w", src, fsErr(err))
	}
	s.prune(filepath.Dir(path))
	return tmp, fi.Size(), nil
}

// placeIn renames tmp to dst's path with dst's next generation, as Put's commit does.
func (s *Store) placeIn(dst, tmp string, size int64) (blob.Info, error) {
	unlock, err := s.locks.lock(dst)
	if err != nil {
		return blob.Info{}, fmt.Errorf("move to %q: %w", dst, err)
	}
	defer unlock()
	path := s.path(dst)
	gen := time.Now()
	if cur, err := s.statFile(path); err == nil && !gen.After(cur.ModTime()) {
		gen = cur.ModTime().Add(time.Nanosecond)
	}
	if err := os.Chtimes(tmp, time.Time{}, gen); err != nil {
		return blob.Info{}, fmt.Errorf("move to %q: %w", dst, fsErr(err))
	}
	if err := s.rename(dst, tmp, path); err != nil {
		return blob.Info{}, err
	}
	if err := s.syncDir(filepath.Dir(path)); err != nil {
		return blob.Info{}, fmt.Errorf("move to %q: %w", dst, fsErr(err))
	}
	return blob.Info{Key: dst, Size: size, Version: versionOf(gen), ModTime: gen}, nil
}
