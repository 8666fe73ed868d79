package manifest

import (
	"context"
	"strings"
)

// Diff calls fn, in path order, for every path under prefix whose entry differs between a and b: from is
// nil for an added path, to is nil for a removed one. A leaf that both trees share (same digest, at the same
// place in the walk) is skipped without being read, so the cost follows the differences. fn returning an
// error stops the walk with it.
func Diff(ctx context.Context, a, b *Tree, prefix string, fn func(from, to *Entry) error) error {
	ca, cb := newCursor(a, prefix), newCursor(b, prefix)
	for {
		if ca.atBoundary() && cb.atBoundary() && ca.li < len(a.leaves) && cb.li < len(b.leaves) &&
			a.leaves[ca.li].Digest == b.leaves[cb.li].Digest {
			ca.li++
			cb.li++
			continue
		}
		ea, err := ca.peek(ctx)
		if err != nil {
			return err
		}
		eb, err := cb.peek(ctx)
		if err != nil {
			return err
		}
		switch {
		case ea == nil && eb == nil:
			return nil
		case eb == nil || (ea != nil && ea.Path < eb.Path):
			err = fn(ea, nil)
			ca.pos++
		case ea == nil || eb.Path < ea.Path:
			err = fn(nil, eb)
			cb.pos++
		default:
			if !ea.Same(*eb) {
				err = fn(ea, eb)
			}
			ca.pos++
			cb.pos++
		}
		if err != nil {
			return err
		}
	}
}

type cursor struct {
	t      *Tree
	prefix string
	li     int
	buf    []Entry
	pos    int
	first  bool
}

func newCursor(t *Tree, prefix string) *cursor {
	return &cursor{t: t, prefix: prefix, li: t.find(prefix), first: true}
}

// atBoundary reports that the cursor has used up its current leaf, so the next leaf starts at its next entry.
func (c *cursor) atBoundary() bool { return c.pos >= len(c.buf) }

// peek returns the current entry under the prefix, loading the next leaf when needed; nil at the end.
func (c *cursor) peek(ctx context.Context) (*Entry, error) {
	for c.pos >= len(c.buf) {
		if c.li >= len(c.t.leaves) || (c.prefix != "" && c.t.leaves[c.li].First > c.prefix && !strings.HasPrefix(c.t.leaves[c.li].First, c.prefix)) {
			return nil, nil
		}
		buf, err := c.t.leaf(ctx, c.li)
		if err != nil {
			return nil, err
		}
		c.buf, c.pos, c.li = buf, 0, c.li+1
		if c.first {
			c.first = false
			for c.pos < len(c.buf) && c.buf[c.pos].Path < c.prefix {
				c.pos++
			}
		}
	}
	e := &c.buf[c.pos]
	if c.prefix != "" && !strings.HasPrefix(e.Path, c.prefix) {
		return nil, nil
	}
	return e, nil
}
