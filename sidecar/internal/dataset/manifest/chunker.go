package manifest

// Leaf sizes. A boundary falls after an entry whose path hash has its low LeafBits bits zero, so a leaf holds
// about 2^LeafBits entries plus the minimum (≈ 576 here): small enough that rewriting one is cheap, large
// enough that a 100k-file root lists only ~170 leaves. MinLeaf stops runs of tiny leaves; MaxLeaf bounds the
// worst case (a long run without a boundary). A forced cut at MaxLeaf is deterministic given where the leaf
// started, so leaves after it still resynchronise at the next natural boundary.
const (
	LeafBits = 9
	MinLeaf  = 64
	MaxLeaf  = 4096
)

// boundaryHash is FNV-1a with a final avalanche (murmur3's fmix64), so the low bits depend on every byte of
// the path. It must never change: boundaries of stored trees depend on it (a change would only cost sharing,
// never correctness).
func boundaryHash(path string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(path); i++ {
		h ^= uint64(path[i])
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// isBoundary reports whether a leaf holding n entries, the last with this path, ends here.
func isBoundary(path string, n int) bool {
	if n >= MaxLeaf {
		return true
	}
	return n >= MinLeaf && boundaryHash(path)&(1<<LeafBits-1) == 0
}

// builder cuts a sorted stream of entries into leaves, kept in memory until Save.
type builder struct {
	t   *Tree
	cur []Entry
}

func (b *builder) add(e Entry) {
	b.cur = append(b.cur, e)
	if isBoundary(e.Path, len(b.cur)) {
		b.cut()
	}
}

// reuse appends an existing leaf unchanged; only valid at a boundary (empty).
func (b *builder) reuse(l LeafRef) { b.t.leaves = append(b.t.leaves, l) }

func (b *builder) empty() bool { return len(b.cur) == 0 }

func (b *builder) cut() {
	if len(b.cur) == 0 {
		return
	}
	entries := b.cur
	b.cur = make([]Entry, 0, 1<<LeafBits+MinLeaf)
	enc := encodeLeaf(entries)
	ref := LeafRef{Digest: digestOf(enc), First: entries[0].Path, Last: entries[len(entries)-1].Path, Count: int64(len(entries))}
	for _, e := range entries {
		ref.Bytes += e.Size
	}
	b.t.leaves = append(b.t.leaves, ref)
	b.t.pending[ref.Digest] = pendingLeaf{entries: entries, enc: enc}
}
