package job

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// watchPoll is how often watchers re-read a job's record.
const watchPoll = 100 * time.Millisecond

// Watch sends every recorded event of the job, then new ones as they are recorded, and returns after the
// job reaches a final state (or when ctx ends, or send fails).
func (m *Manager) Watch(ctx context.Context, id string, send func(*kamldv1.JobEvent) error) error {
	sent := 0
	for {
		r, err := m.load(ctx, id)
		if err != nil {
			return err
		}
		for ; sent < len(r.Job.Events); sent++ {
			if err := send(r.Job.Events[sent]); err != nil {
				return err
			}
		}
		if r.final() {
			return nil
		}
		sleep(ctx, watchPoll)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Chunk is a piece of a job's log.
type Chunk struct {
	Text    string
	Offset  int64
	Attempt int32
}

// Logs streams an attempt's log (0: the latest) from offset: from the archive once the attempt ended,
// live from the backend before. With follow it waits for the attempt to start and streams until it ends.
func (m *Manager) Logs(ctx context.Context, id string, attempt int32, offset int64, follow bool, send func(Chunk) error) error {
	if offset < 0 {
		return apierr.InvalidArgument("offset", "%d is negative", offset)
	}
	r, err := m.load(ctx, id)
	if err != nil {
		return err
	}
	if attempt < 0 || attempt > r.Job.Attempt {
		return apierr.InvalidArgument("attempt", "%d is not an attempt of %s (1..%d, or 0 for the latest)", attempt, r.Job.Name, r.Job.Attempt)
	}
	if attempt == 0 {
		attempt = r.Job.Attempt
	}
	w := &chunker{send: send, offset: offset, attempt: attempt}
	for {
		done, err := m.logsOnce(ctx, r, w, follow)
		if done || err != nil {
			return err
		}
		sleep(ctx, watchPoll)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if r, err = m.load(ctx, id); err != nil {
			return err
		}
	}
}

// logsOnce streams what exists now; done when nothing more can come (or follow is off).
func (m *Manager) logsOnce(ctx context.Context, r *record, w *chunker, follow bool) (bool, error) {
	rc, _, err := m.store.Get(ctx, logKey(r.id(), w.attempt), blob.GetOptions{Offset: w.offset})
	switch {
	case err == nil:
		defer rc.Close()
		return true, w.copy(rc)
	case errors.Is(err, apierr.ErrOutOfRange):
		return true, nil
	case !errors.Is(err, apierr.ErrNotFound):
		return false, err
	}
	// The driver archives an attempt's log before it records the attempt's end, so an ended attempt
	// without an archive has no log (it never started, or was lost).
	if r.final() || w.attempt < r.Job.Attempt {
		return true, nil
	}
	if r.Instance == m.compute.Instance() {
		rc, err := m.compute.Logs(ctx, runOf(r), w.offset, follow)
		if err == nil {
			defer rc.Close()
			// With follow the live stream ends with the run; the next round reads any tail from the archive.
			return !follow, w.copy(rc)
		}
		if !errors.Is(err, apierr.ErrNotFound) {
			return false, err
		}
	}
	return !follow, nil
}

// chunker sends a log as valid UTF-8 chunks with their byte offsets, never splitting a character.
type chunker struct {
	send    func(Chunk) error
	offset  int64
	attempt int32
	carry   []byte
}

func (c *chunker) copy(r io.Reader) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if serr := c.emit(buf[:n]); serr != nil {
				return serr
			}
		}
		if err == io.EOF {
			return c.flush()
		}
		if err != nil {
			return err
		}
	}
}

func (c *chunker) emit(b []byte) error {
	data := append(c.carry, b...)
	cut := len(data)
	// Hold back an incomplete character at the end for the next read.
	for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax; i-- {
		if utf8.RuneStart(data[i]) {
			if !utf8.FullRune(data[i:]) {
				cut = i
			}
			break
		}
	}
	c.carry = append([]byte(nil), data[cut:]...)
	return c.sendBytes(data[:cut])
}

func (c *chunker) flush() error {
	b := c.carry
	c.carry = nil
	return c.sendBytes(b)
}

func (c *chunker) sendBytes(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	err := c.send(Chunk{Text: strings.ToValidUTF8(string(b), "\uFFFD"), Offset: c.offset, Attempt: c.attempt})
	c.offset += int64(len(b))
	return err
}
