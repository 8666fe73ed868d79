package manifest

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sort"
	"sync"
)

// Tree is one immutable state of a manifest: a root and its leaves. A tree returned by Apply may hold leaves
// that exist only in memory until Save; reading it works either way. Trees are safe for concurrent reads.
type Tree struct {
	s       *Store
	leaves  []LeafRef
	pending map[string]pendingLeaf // leaves built by Apply and not yet saved, by digest
	digest  string                 // root digest; "" until computed
}

type pendingLeaf struct {
	entries []Entry
	enc     []byte
}

// Leaves returns the root's list of leaves, in path order. The caller must not modify it.
func (t *Tree) Leaves() []LeafRef { return t.leaves }

// Digest returns the digest of the tree's root: equal trees have equal digests.
func (t *Tree) Digest() string {
	if t.digest == "" {
		t.digest = digestOf(encodeRoot(t.leaves))
	}
	return t.digest
}

// Stats returns the number of entries and the sum of their sizes, from the root alone.
func (t *Tree) Stats() (count, bytes int64) {
	for _, l := range t.leaves {
		count += l.Count
		bytes += l.Bytes
	}
	return count, bytes
}

func (t *Tree) leaf(ctx context.Context, i int) ([]Entry, error) {
	d := t.leaves[i].Digest
	if p, ok := t.pending[d]; ok {
		return p.entries, nil
	}
	return t.s.leaf(ctx, d)
}

// Apply returns the tree with the changes made; t is unchanged. Changes may come in any order; of several for
// one path, the last wins. Removing a missing path is not an error.
//
// Cost: leaves whose path range no change touches are reused as they are (not even read), so the work is
// proportional to the changes and the size of the leaves around them, plus the length of the root.
func (t *Tree) Apply(ctx context.Context, changes []Change) (*Tree, error) {
	changes = normalize(changes)
	if len(changes) == 0 {
		return t, nil
	}
	for _, c := range changes {
		if err := c.validate(); err != nil {
			return nil, err
		}
	}
	nt := &Tree{s: t.s, pending: make(map[string]pendingLeaf, len(t.pending)+len(changes))}
	for d, p := range t.pending { // unsaved leaves of t that nt may reuse
		nt.pending[d] = p
	}
	b := &builder{t: nt}
	old := t.leaves
	ci := 0
	inSync := true
	for i := 0; i < len(old); i++ {
		l := old[i]
		lastLeaf := i == len(old)-1
		if inSync && (ci == len(changes) || (changes[ci].Path > l.Last && !lastLeaf)) {
			b.reuse(l)
			continue
		}
		entries, err := t.leaf(ctx, i)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			for ci < len(changes) && changes[ci].Path < e.Path {
				if c := changes[ci]; c.Entry != nil {
					b.add(*c.Entry)
				}
				ci++
			}
			if ci < len(changes) && changes[ci].Path == e.Path {
				if c := changes[ci]; c.Entry != nil {
					b.add(*c.Entry)
				}
				ci++
				continue
			}
			b.add(e)
		}
		if lastLeaf {
			break
		}
		inSync = b.empty()
	}
	for ; ci < len(changes); ci++ {
		if c := changes[ci]; c.Entry != nil {
			b.add(*c.Entry)
		}
	}
	b.cut()
	// Keep only the pending leaves nt references.
	used := make(map[string]pendingLeaf, len(nt.pending))
	for _, l := range nt.leaves {
		if p, ok := nt.pending[l.Digest]; ok {
			used[l.Digest] = p
		}
	}
	nt.pending = used
	return nt, nil
}

func normalize(changes []Change) []Change {
	out := slices.Clone(changes)
	slices.SortStableFunc(out, func(a, b Change) int { return cmp.Compare(a.Path, b.Path) })
	// Keep the last change of each path.
	w := 0
	for i := range out {
		if i+1 < len(out) && out[i+1].Path == out[i].Path {
			continue
		}
		out[w] = out[i]
		w++
	}
	return out[:w]
}

// Save stores the tree's new leaves and its root, create-only, and returns the root digest and how many
// chunk objects it newly wrote (leaves already stored, by this or any other tree, are not written again).
func (t *Tree) Save(ctx context.Context) (root string, written int, err error) {
	// New leaves are written in parallel: each is an independent create-only put, and on a store that syncs
	// every write (fs) or answers over the network (S3) their latencies then overlap instead of adding up.
	var todo []string
	for _, l := range t.leaves {
		if _, ok := t.pending[l.Digest]; ok && !slices.Contains(todo, l.Digest) {
			todo = append(todo, l.Digest)
		}
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, 8)
	)
	for _, d := range todo {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p := t.pending[d]
			w, err := t.s.write(ctx, d, p.enc)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			if w {
				written++
			}
			t.s.cache.put(d, p.entries)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", written, err
	}
	enc := encodeRoot(t.leaves)
	root = digestOf(enc)
	w, err := t.s.write(ctx, root, enc)
	if err != nil {
		return "", written, err
	}
	if w {
		written++
	}
	t.digest = root
	t.s.roots.putAny(root, t.leaves)
	return root, written, nil
}

// Get returns the entry at path.
func (t *Tree) Get(ctx context.Context, path string) (Entry, bool, error) {
	i := t.find(path)
	if i == len(t.leaves) || t.leaves[i].First > path {
		return Entry{}, false, nil
	}
	entries, err := t.leaf(ctx, i)
	if err != nil {
		return Entry{}, false, err
	}
	j, ok := slices.BinarySearchFunc(entries, path, func(e Entry, p string) int { return cmp.Compare(e.Path, p) })
	if !ok {
		return Entry{}, false, nil
	}
	return entries[j], true, nil
}

// find returns the index of the first leaf whose last path is >= path.
func (t *Tree) find(path string) int {
	return sort.Search(len(t.leaves), func(i int) bool { return t.leaves[i].Last >= path })
}

// Iterator walks a tree's entries in path order. Leaves are read lazily, one at a time.
type Iterator struct {
	t    *Tree
	li   int // next leaf to load
	buf  []Entry
	pos  int
	from string
	err  error
}

// Scan returns an iterator over the entries whose path is >= from.
func (t *Tree) Scan(from string) *Iterator {
	return &Iterator{t: t, li: t.find(from), from: from}
}

// Next returns the next entry, or false at the end or on error (see Err).
func (it *Iterator) Next(ctx context.Context) (Entry, bool) {
	for it.pos >= len(it.buf) {
		if it.err != nil || it.li >= len(it.t.leaves) {
			return Entry{}, false
		}
		it.buf, it.err = it.t.leaf(ctx, it.li)
		it.li++
		it.pos = 0
		if it.err != nil {
			return Entry{}, false
		}
		if it.from != "" {
			it.pos = sort.Search(len(it.buf), func(i int) bool { return it.buf[i].Path >= it.from })
		}
	}
	e := it.buf[it.pos]
	it.pos++
	return e, true
}

// Err returns the error that stopped the iteration, if any.
func (it *Iterator) Err() error { return it.err }
