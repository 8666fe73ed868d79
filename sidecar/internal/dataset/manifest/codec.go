package manifest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// Encodings are line-oriented text, tab-separated: readable with cat, stable byte for byte (so equal content
// gives equal digests), and several times faster to encode and decode than JSON for the hot path of a
// snapshot. Paths cannot hold tabs or newlines (resource.ValidatePath forbids control characters).
const (
	leafHeader = "kamld-manifest-leaf v1\n"
	rootHeader = "kamld-manifest-root v1\n"
)

// encodeLeaf renders entries as "path\tdigest\tsize\tmedia type\tmodtime-unix-nanos\n" lines.
func encodeLeaf(entries []Entry) []byte {
	var b bytes.Buffer
	b.Grow(len(leafHeader) + len(entries)*128)
	b.WriteString(leafHeader)
	var num [20]byte
	for _, e := range entries {
		b.WriteString(e.Path)
		b.WriteByte('\t')
		b.WriteString(e.Digest)
		b.WriteByte('\t')
		b.Write(strconv.AppendInt(num[:0], e.Size, 10))
		b.WriteByte('\t')
		b.WriteString(e.MediaType)
		b.WriteByte('\t')
		b.Write(strconv.AppendInt(num[:0], e.ModTime.UnixNano(), 10))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func decodeLeaf(data []byte) ([]Entry, error) {
	rest, ok := bytes.CutPrefix(data, []byte(leafHeader))
	if !ok {
		return nil, fmt.Errorf("manifest leaf: bad header: %w", apierr.ErrDataLoss)
	}
	entries := make([]Entry, 0, bytes.Count(rest, []byte{'\n'}))
	for len(rest) > 0 {
		line, tail, ok := bytes.Cut(rest, []byte{'\n'})
		if !ok {
			return nil, fmt.Errorf("manifest leaf: truncated: %w", apierr.ErrDataLoss)
		}
		rest = tail
		f := strings.Split(string(line), "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("manifest leaf: line has %d fields: %w", len(f), apierr.ErrDataLoss)
		}
		size, err1 := strconv.ParseInt(f[2], 10, 64)
		mt, err2 := strconv.ParseInt(f[4], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("manifest leaf: bad number: %w", apierr.ErrDataLoss)
		}
		entries = append(entries, Entry{Path: f[0], Digest: f[1], Size: size, MediaType: f[3], ModTime: time.Unix(0, mt).UTC()})
	}
	return entries, nil
}

// encodeRoot renders leaves as "digest\tcount\tbytes\tfirst\tlast\n" lines.
func encodeRoot(leaves []LeafRef) []byte {
	var b bytes.Buffer
	b.WriteString(rootHeader)
	for _, l := range leaves {
		fmt.Fprintf(&b, "%s\t%d\t%d\t%s\t%s\n", l.Digest, l.Count, l.Bytes, l.First, l.Last)
	}
	return b.Bytes()
}

func decodeRoot(data []byte) ([]LeafRef, error) {
	rest, ok := bytes.CutPrefix(data, []byte(rootHeader))
	if !ok {
		return nil, fmt.Errorf("manifest root: bad header: %w", apierr.ErrDataLoss)
	}
	sc := bufio.NewScanner(bytes.NewReader(rest))
	sc.Buffer(make([]byte, 0, 8192), 1<<20)
	var leaves []LeafRef
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("manifest root: line has %d fields: %w", len(f), apierr.ErrDataLoss)
		}
		n, err1 := strconv.ParseInt(f[1], 10, 64)
		sz, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("manifest root: bad number: %w", apierr.ErrDataLoss)
		}
		leaves = append(leaves, LeafRef{Digest: f[0], Count: n, Bytes: sz, First: f[3], Last: f[4]})
	}
	return leaves, sc.Err()
}

func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}
