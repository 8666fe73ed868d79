package blob

import (
	"context"
	"fmt"
	"io"
)

// SourceReader wraps the content a caller hands to Put: it stops when the context is cancelled and remembers
// its own error, so a store can tell a failing source (client gone, upload cut) from a failing store.
type SourceReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

// NewSourceReader wraps r for a Put under ctx.
func NewSourceReader(ctx context.Context, r io.Reader) *SourceReader {
	return &SourceReader{ctx: ctx, r: r}
}

func (r *SourceReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return 0, err
	}
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// Err is the source's own error (not io.EOF), or nil.
func (r *SourceReader) Err() error { return r.err }

// Failure describes a Put of key that failed because of its source.
func (r *SourceReader) Failure(key string) error {
	if r.ctx.Err() != nil {
		return fmt.Errorf("put %q: %w", key, r.ctx.Err())
	}
	return fmt.Errorf("put %q: reading the content: %w", key, r.err)
}
