package local

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/compute"
)

// Logs implements compute.Backend: the log file from offset; with follow, a reader that waits for more
// until the run is final.
func (b *Backend) Logs(ctx context.Context, id compute.RunID, offset int64, follow bool) (io.ReadCloser, error) {
	d := b.dir(id)
	if !d.exists() {
		return nil, notFound(id)
	}
	f, err := os.Open(d.path(logFile))
	if errors.Is(err, fs.ErrNotExist) {
		if !follow {
			return io.NopCloser(strings.NewReader("")), nil
		}
		f = nil // not started yet: the follower opens it when it appears
	} else if err != nil {
		return nil, err
	}
	if f != nil {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		if !follow {
			return f, nil
		}
	}
	return &follower{ctx: ctx, d: d, f: f, offset: offset, poll: b.poll}, nil
}

// follower reads a growing log; at its end it checks whether the run is final (then one last read drains
// what was written before the end) or waits.
type follower struct {
	ctx    context.Context
	d      runDir
	f      *os.File
	offset int64
	poll   time.Duration
	final  bool
}

func (r *follower) Read(p []byte) (int, error) {
	for {
		if r.f == nil {
			f, err := os.Open(r.d.path(logFile))
			if err == nil {
				if _, err := f.Seek(r.offset, io.SeekStart); err != nil {
					f.Close()
					return 0, err
				}
				r.f = f
			} else if !errors.Is(err, fs.ErrNotExist) {
				return 0, err
			}
		}
		if r.f != nil {
			n, err := r.f.Read(p)
			if n > 0 || (err != nil && err != io.EOF) {
				return n, err
			}
		}
		if r.final {
			return 0, io.EOF
		}
		if st, err := r.d.state(); err == nil && st.Phase.Final() {
			r.final = true // read once more: bytes written before the end are not lost
			continue
		}
		select {
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		case <-time.After(r.poll):
		}
	}
}

func (r *follower) Close() error {
	if r.f != nil {
		return r.f.Close()
	}
	return nil
}
