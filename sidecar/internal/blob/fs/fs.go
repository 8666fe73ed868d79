// Package fs is the embedded blob store: a directory on the local filesystem.
//
// # Layout
//
//	DIR/objects/KEY   each object is a plain file at its key's path, so tools and query engines
//	                  (DuckDB, a Hive table) can read a blob in place
//	DIR/tmp/          writes in flight, renamed into objects/ when complete; objects being moved (Move)
//	DIR/locks/NN      lock stripes (flock) that make conditional writes atomic across processes
//
// # Atomicity and durability
//
// A Put streams into a temporary file in tmp/ (same filesystem as objects/), fsyncs it, and renames it over
// the object's path; it then fsyncs the directory. A reader therefore sees the old file or the new one,
// never a partial one, and a crash at any point leaves one of the two. Temporary files that a crash left
// behind are removed when a store is opened and they are a day old.
//
// # Versions
//
// An object's version is a generation: a nanosecond timestamp kept in the file's modification time. Every
// write takes the key's lock stripe and gives the new file max(now, current generation + 1) before renaming
// it into place, so a key's generations strictly increase — rewriting identical content changes the version
// (no ABA), unlike S3 ETags. Keeping the generation in the inode's mtime makes it atomic with the rename for
// free (no second file to keep in step), and costs no hashing. Anything else that writes or touches an
// object file changes its mtime too, which can only make a compare-and-swap fail, never wrongly succeed. New
// checks that the filesystem keeps nanosecond mtimes (ext4, xfs, btrfs, tmpfs and overlayfs do) and refuses
// one that does not. A generation is reused only if the wall clock steps back past the instant a deleted
// object was written and a new one is written at exactly the same nanosecond.
//
// # Locking
//
// Writes and deletes of a key take one of 64 lock stripes chosen by a hash of the key: an in-process mutex
// (flock does not exclude goroutines sharing a descriptor) and then flock on the stripe's file (which
// excludes other processes, e.g. several sidecars on one machine). The lock is held only to check the
// condition, stamp the generation and rename — never while data streams. Reads take no lock.
//
// # Limits
//
// A filesystem cannot hold both a file "a" and a directory "a/", so unlike S3 this store cannot hold both
// key "a" and key "a/b": the second Put fails with apierr.ErrFailedPrecondition. kamld's own key layout never
// does this.
package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// Store is a blob store rooted at a directory.
type Store struct {
	root    string
	objects string
	tmp     string
	fsync   bool
	locks   *stripes
	syncs   dirSyncs
}

var _ blob.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithFsync sets whether writes are flushed to stable storage before they count as done (default true).
// Turning it off trades durability on power loss — never atomicity — for speed; for tests and scratch stores.
func WithFsync(enabled bool) Option { return func(s *Store) { s.fsync = enabled } }

// staleTmpAge is how old a temporary file must be before New removes it: far longer than any write takes, so
// a write in flight in another process is never removed under it.
const staleTmpAge = 24 * time.Hour

// New opens (creating if needed, mode 0700) a store rooted at dir.
func New(dir string, opts ...Option) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("fs store: %w", err)
	}
	s := &Store{root: abs, objects: filepath.Join(abs, "objects"), tmp: filepath.Join(abs, "tmp"), fsync: true}
	for _, o := range opts {
		o(s)
	}
	for _, d := range []string{s.objects, s.tmp, filepath.Join(abs, "locks")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("fs store: %w", err)
		}
	}
	if err := checkNanoMtime(s.tmp); err != nil {
		return nil, fmt.Errorf("fs store at %s: %w", abs, err)
	}
	s.locks = newStripes(filepath.Join(abs, "locks"))
	s.removeStaleTmp()
	return s, nil
}

// Name implements backend.Backend.
func (s *Store) Name() string { return "fs" }

// Location implements backend.Backend.
func (s *Store) Location() string { return s.root }

// Health writes and removes a probe file: a store that cannot be written to (disk full, directory removed,
// read-only mount) is not serving, even if it can still be read.
func (s *Store) Health(ctx context.Context) error {
	f, err := os.CreateTemp(s.tmp, "health-*")
	if err != nil {
		return fmt.Errorf("store directory is not writable: %w: %w", apierr.ErrUnavailable, err)
	}
	name := f.Name()
	_, werr := f.Write([]byte("ok"))
	cerr := f.Close()
	rerr := os.Remove(name)
	for _, e := range []error{werr, cerr, rerr} {
		if e != nil {
			return fmt.Errorf("store directory is not writable: %w: %w", apierr.ErrUnavailable, e)
		}
	}
	if _, err := os.Stat(s.objects); err != nil {
		return fmt.Errorf("store directory is not readable: %w: %w", apierr.ErrUnavailable, err)
	}
	return ctx.Err()
}

// Close releases the lock stripes' descriptors.
func (s *Store) Close() error { return s.locks.close() }

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, err
	}
	if err := opts.Validate(); err != nil {
		return blob.Info{}, err
	}
	tmp, size, err := s.writeTemp(ctx, key, r)
	if err != nil {
		return blob.Info{}, err
	}
	committed := false
	defer func() {
		if !committed {
			_ = os.Remove(tmp)
		}
	}()

	path := s.path(key)
	unlock, err := s.locks.lock(key)
	if err != nil {
		return blob.Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	defer unlock()

	cur, err := s.statFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, apierr.ErrNotFound) {
		return blob.Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	switch {
	case opts.IfNoneMatch && exists:
		return blob.Info{}, fmt.Errorf("put %q: the object %w", key, apierr.ErrAlreadyExists)
	case opts.IfMatch != "" && !exists:
		return blob.Info{}, fmt.Errorf("put %q if version %s: the object no longer exists: %w", key, opts.IfMatch, apierr.ErrAborted)
	case opts.IfMatch != "" && version(cur) != opts.IfMatch:
		return blob.Info{}, fmt.Errorf("put %q if version %s: the version is now %s: %w", key, opts.IfMatch, version(cur), apierr.ErrAborted)
	}

	gen := time.Now()
	if exists && !gen.After(cur.ModTime()) {
		gen = cur.ModTime().Add(time.Nanosecond)
	}
	if err := os.Chtimes(tmp, time.Time{}, gen); err != nil {
		return blob.Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	if err := s.rename(key, tmp, path); err != nil {
		return blob.Info{}, err
	}
	committed = true
	if err := s.syncDir(filepath.Dir(path)); err != nil {
		return blob.Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	return blob.Info{Key: key, Size: size, Version: versionOf(gen), ModTime: gen}, nil
}

// writeTemp streams r into a new temporary file, flushed to disk, and returns its path and size.
func (s *Store) writeTemp(ctx context.Context, key string, r io.Reader) (string, int64, error) {
	f, err := os.CreateTemp(s.tmp, "put-*")
	if err != nil {
		return "", 0, fmt.Errorf("put %q: %w", key, fsErr(err))
	}
	src := blob.NewSourceReader(ctx, r)
	buf := copyBuffers.Get().(*[]byte)
	size, err := io.CopyBuffer(onlyWriter{f}, src, *buf)
	copyBuffers.Put(buf)
	if err == nil && s.fsync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		switch {
		case src.Err() != nil && errors.Is(err, src.Err()) && ctx.Err() != nil:
			return "", 0, fmt.Errorf("put %q: %w", key, ctx.Err())
		case src.Err() != nil && errors.Is(err, src.Err()):
			return "", 0, fmt.Errorf("put %q: reading the content: %w", key, err)
		}
		return "", 0, fmt.Errorf("put %q: %w", key, fsErr(err))
	}
	return f.Name(), size, nil
}

// rename moves the finished temporary file to the object's path, creating its directories. It retries when a
// concurrent Delete pruned a directory between creating it and renaming into it.
func (s *Store) rename(key, tmp, path string) error {
	for attempt := 0; ; attempt++ {
		if err := s.mkdirs(filepath.Dir(path)); err != nil {
			if errors.Is(err, syscall.ENOENT) && attempt < 10 {
				continue // a concurrent Delete pruned a folder mkdirs had just created
			}
			if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EEXIST) {
				return fmt.Errorf("put %q: a parent of this key is an object, and the fs store cannot hold a key that is also a folder of keys: %w", key, apierr.ErrFailedPrecondition)
			}
			return fmt.Errorf("put %q: %w", key, fsErr(err))
		}
		err := os.Rename(tmp, path)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.ENOENT) && attempt < 10:
			continue
		case errors.Is(err, syscall.ENOTDIR):
			return fmt.Errorf("put %q: a parent of this key is an object, and the fs store cannot hold a key that is also a folder of keys: %w", key, apierr.ErrFailedPrecondition)
		case (errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EEXIST) || errors.Is(err, syscall.ENOTEMPTY)) && attempt < 10:
			// A folder of keys is in the way. If it is empty (a crash between a Delete and its pruning),
			// remove it and try again; otherwise the key is also a folder of keys.
			if os.Remove(path) == nil {
				continue
			}
			return fmt.Errorf("put %q: other keys start with %q, and the fs store cannot hold a key that is also a folder of keys: %w", key, key+"/", apierr.ErrFailedPrecondition)
		}
		return fmt.Errorf("put %q: %w", key, fsErr(err))
	}
}

// mkdirs creates dir and its missing parents below the objects directory, fsyncing each parent so that the
// new entries survive a crash.
func (s *Store) mkdirs(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return syscall.ENOTDIR
		}
		return nil
	}
	var missing []string
	for d := dir; d != s.objects && len(d) > len(s.objects); d = filepath.Dir(d) {
		if fi, err := os.Lstat(d); err == nil {
			if !fi.IsDir() {
				return syscall.ENOTDIR
			}
			break
		}
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if fi, err := os.Stat(missing[i]); err != nil {
			return err
		} else if !fi.IsDir() {
			return syscall.ENOTDIR
		}
		if err := s.syncDir(filepath.Dir(missing[i])); err != nil {
			return err
		}
	}
	return nil
}

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, key string, opts blob.GetOptions) (io.ReadCloser, blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, blob.Info{}, err
	}
	if err := opts.Validate(); err != nil {
		return nil, blob.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, blob.Info{}, err
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		return nil, blob.Info{}, fmt.Errorf("get %q: %w", key, notFound(err))
	}
	// Stat the open descriptor, not the path: the Info then describes exactly the bytes this reader returns,
	// even if a Put renames a new file over the path meanwhile.
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		_ = f.Close()
		return nil, blob.Info{}, fmt.Errorf("get %q: %w", key, notFound(err))
	}
	info := infoOf(key, fi)
	if opts.Offset > info.Size {
		_ = f.Close()
		return nil, blob.Info{}, fmt.Errorf("get %q: offset %d is past the end of the object (%d bytes): %w", key, opts.Offset, info.Size, apierr.ErrOutOfRange)
	}
	if opts.Offset > 0 {
		if _, err := f.Seek(opts.Offset, io.SeekStart); err != nil {
			_ = f.Close()
			return nil, blob.Info{}, fmt.Errorf("get %q: %w", key, err)
		}
	}
	if opts.Length > 0 {
		return &limitedFile{Reader: io.LimitReader(f, opts.Length), f: f}, info, nil
	}
	return f, info, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, err
	}
	fi, err := s.statFile(s.path(key))
	if err != nil {
		return blob.Info{}, fmt.Errorf("stat %q: %w", key, err)
	}
	return infoOf(key, fi), nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, key string, opts blob.DeleteOptions) error {
	if err := blob.ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	path := s.path(key)
	unlock, err := s.locks.lock(key)
	if err != nil {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	fi, err := s.statFile(path)
	switch {
	case errors.Is(err, apierr.ErrNotFound) && opts.IfMatch != "":
		unlock()
		return fmt.Errorf("delete %q if version %s: the object no longer exists: %w", key, opts.IfMatch, apierr.ErrAborted)
	case errors.Is(err, apierr.ErrNotFound):
		unlock()
		return nil
	case err != nil:
		unlock()
		return fmt.Errorf("delete %q: %w", key, err)
	case opts.IfMatch != "" && version(fi) != opts.IfMatch:
		unlock()
		return fmt.Errorf("delete %q if version %s: the version is now %s: %w", key, opts.IfMatch, version(fi), apierr.ErrAborted)
	}
	err = os.Remove(path)
	if err == nil {
		err = s.syncDir(filepath.Dir(path))
	}
	unlock()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %q: %w", key, fsErr(err))
	}
	s.prune(filepath.Dir(path))
	return nil
}

// prune removes dir and its parents while they are empty, so deleted keys leave no folders behind (which
// would otherwise block a later key of the same name). It is best effort: a concurrent Put that needs a
// removed folder recreates it.
func (s *Store) prune(dir string) {
	for d := dir; d != s.objects && len(d) > len(s.objects); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			return
		}
	}
}

// statFile is Lstat that reports anything but a regular file (a folder of keys, a stray symlink) as not
// found: on S3 there is no object at such a key either.
func (s *Store) statFile(path string) (os.FileInfo, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, notFound(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("the object %w", apierr.ErrNotFound)
	}
	return fi, nil
}

func (s *Store) path(key string) string { return filepath.Join(s.objects, filepath.FromSlash(key)) }

func (s *Store) syncDir(dir string) error {
	if !s.fsync {
		return nil
	}
	return s.syncs.sync(dir, fsyncDir)
}

func fsyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

var _ blob.TempSweeper = (*Store)(nil)

// SweepTemp implements blob.TempSweeper over DIR/tmp/: files of Puts and folders of Moves that a killed
// process left behind. A Put in flight writes its file as the bytes arrive, which keeps its mtime fresh.
func (s *Store) SweepTemp(ctx context.Context, before time.Time, dryRun bool) (removed, young blob.TempCount, err error) {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return removed, young, fmt.Errorf("fs store: listing %s: %w", s.tmp, err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return removed, young, err
		}
		path := filepath.Join(s.tmp, e.Name())
		fi, err := e.Info()
		if err != nil {
			continue // gone meanwhile: a write finished
		}
		size := treeSize(path, fi)
		if !fi.ModTime().Before(before) {
			young.Entries++
			young.Bytes += size
			continue
		}
		if !dryRun {
			if err := os.RemoveAll(path); err != nil {
				return removed, young, fmt.Errorf("fs store: removing %s: %w", path, err)
			}
		}
		removed.Entries++
		removed.Bytes += size
	}
	return removed, young, nil
}

// treeSize is a file's size, or the total of the files under a folder.
func treeSize(path string, fi os.FileInfo) int64 {
	if !fi.IsDir() {
		return fi.Size()
	}
	var n int64
	_ = filepath.WalkDir(path, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if i, err := d.Info(); err == nil {
				n += i.Size()
			}
		}
		return nil
	})
	return n
}

func (s *Store) removeStaleTmp() {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleTmpAge {
			_ = os.RemoveAll(filepath.Join(s.tmp, e.Name())) // a file of a Put, or a folder of a Move
		}
	}
}

func infoOf(key string, fi os.FileInfo) blob.Info {
	return blob.Info{Key: key, Size: fi.Size(), Version: version(fi), ModTime: fi.ModTime()}
}

func version(fi os.FileInfo) string { return versionOf(fi.ModTime()) }

// versionOf renders a generation as fixed-width hex, so versions of one key also sort by age.
func versionOf(gen time.Time) string {
	return fmt.Sprintf("%016x", uint64(gen.UnixNano()))
}

func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("the object %w", apierr.ErrNotFound)
	}
	return fsErr(err)
}

// fsErr maps the filesystem errors a user can act on to sentinels.
func fsErr(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("the store's filesystem is full: %w: %w", apierr.ErrResourceExhausted, err)
	case errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("the store's directory is not writable: %w: %w", apierr.ErrUnavailable, err)
	}
	return err
}

// checkNanoMtime verifies that files in dir keep a modification time to the nanosecond, which versions rely on.
func checkNanoMtime(dir string) error {
	f, err := os.CreateTemp(dir, "probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	defer os.Remove(name)
	if err := f.Close(); err != nil {
		return err
	}
	want := time.Unix(time.Now().Unix(), 123456789)
	if err := os.Chtimes(name, time.Time{}, want); err != nil {
		return err
	}
	fi, err := os.Stat(name)
	if err != nil {
		return err
	}
	if !fi.ModTime().Equal(want) {
		return fmt.Errorf("the filesystem does not keep nanosecond modification times (wrote %s, read %s); the fs store versions objects by them: %w",
			want.Format(time.RFC3339Nano), fi.ModTime().Format(time.RFC3339Nano), apierr.ErrFailedPrecondition)
	}
	return nil
}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// onlyWriter hides *os.File's ReadFrom so io.CopyBuffer uses our buffer and our reader sees every read.
type onlyWriter struct{ w io.Writer }

func (w onlyWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

type limitedFile struct {
	io.Reader
	f *os.File
}

func (l *limitedFile) Close() error { return l.f.Close() }

// LocalPath returns the file holding object key, for readers that need a path rather than a stream (DuckDB
// reads a dataset's files in place). The file must be treated as read-only; it may not exist.
func (s *Store) LocalPath(key string) (string, error) {
	if err := blob.ValidateKey(key); err != nil {
		return "", err
	}
	return s.path(key), nil
}

// ObjectsDir is the directory under which every object's file lives (see LocalPath).
func (s *Store) ObjectsDir() string { return s.objects }
