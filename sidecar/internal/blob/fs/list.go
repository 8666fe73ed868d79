package fs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/blob"
)

// List implements blob.Store. It walks the objects directory depth first, visiting each folder's entries in
// the order their full keys sort in: a folder "a" sorts as "a/", so that "a.c" (0x2E) comes before "a/b"
// (0x2F) exactly as S3 lists them. Folders that cannot hold a key matching the prefix, or hold only keys at
// or before StartAfter, are not entered, so a page costs what it returns plus reading the folders on its way
// — not the size of the store. (A folder is read whole for each page that passes through it, so callers
// fan out large sets of keys, e.g. by the first bytes of a digest.)
func (s *Store) List(ctx context.Context, opts blob.ListOptions) (blob.Page, error) {
	limit, err := opts.Validate()
	if err != nil {
		return blob.Page{}, err
	}
	w := walker{ctx: ctx, root: s.objects, prefix: opts.Prefix, after: opts.StartAfter, limit: limit}
	if err := w.walk(""); err != nil && !errors.Is(err, errPageFull) {
		return blob.Page{}, err
	}
	page := blob.Page{Objects: w.out}
	if len(page.Objects) > limit {
		page.Objects, page.More = page.Objects[:limit], true
	}
	return page, nil
}

var errPageFull = errors.New("page full")

type walker struct {
	ctx           context.Context
	root          string
	prefix, after string
	limit         int
	out           []blob.Info
}

type entry struct {
	name string // the full key, or the folder's key prefix ending in '/'
	dir  bool
}

// walk lists the folder whose keys start with rel ("" or "a/b/").
func (w *walker) walk(rel string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	des, err := os.ReadDir(filepath.Join(w.root, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil // pruned by a concurrent Delete
	}
	if err != nil {
		return err
	}
	entries := make([]entry, 0, len(des))
	for _, de := range des {
		switch {
		case de.IsDir():
			entries = append(entries, entry{name: rel + de.Name() + "/", dir: true})
		case de.Type().IsRegular():
			entries = append(entries, entry{name: rel + de.Name()})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })

	for _, e := range entries {
		inPrefix := strings.HasPrefix(e.name, w.prefix)
		if !inPrefix && e.name > w.prefix && !strings.HasPrefix(w.prefix, e.name) {
			return errPageFull // everything from here on sorts past the prefix
		}
		if e.dir {
			// Enter only folders that may hold a key with the prefix, sorting after StartAfter: a folder
			// sorting before StartAfter that is not a beginning of it holds only keys before it.
			if !inPrefix && !strings.HasPrefix(w.prefix, e.name) {
				continue
			}
			if e.name < w.after && !strings.HasPrefix(w.after, e.name) {
				continue
			}
			if err := w.walk(e.name); err != nil {
				return err
			}
			continue
		}
		if !inPrefix || e.name <= w.after || blob.ValidateKey(e.name) != nil {
			continue
		}
		fi, err := os.Lstat(filepath.Join(w.root, filepath.FromSlash(e.name)))
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted or replaced since the folder was read
		}
		w.out = append(w.out, infoOf(e.name, fi))
		if len(w.out) > w.limit {
			return errPageFull
		}
	}
	return nil
}
