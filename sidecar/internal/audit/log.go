package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kamld/kamld/sidecar/internal/blob"
)

// Prefix is where segments live in the blob store. A segment's key starts with the time of its first record
// (nanoseconds, zero-padded), so the store's key order is time order and a time range is a key range.
const Prefix = "audit/v1/"

// DefaultSegmentMaxBytes bounds one segment: records beyond it wait for the next.
const DefaultSegmentMaxBytes = 1 << 20

// writeTimeout bounds one segment write; the calls waiting for it fail UNAVAILABLE after it.
const writeTimeout = 15 * time.Second

// Log writes records to the blob store by group commit: a record joins the next segment to be written, and
// Write returns once that segment is stored. While one segment is being written, the records that arrive
// queue for the next, so under load a segment holds many records and a quiet log writes one per call.
// Each segment is one object, created once (IfNoneMatch) and never rewritten: it is sealed by being written.
type Log struct {
	store    blob.Store
	instance string // tells apart the segments of kamld processes sharing a store
	maxBytes int
	log      *slog.Logger

	mu       sync.Mutex
	queue    []*pending
	flushing bool
	closed   bool
	flushers sync.WaitGroup
	seq      uint64
}

// ErrClosed is Write's answer after Close: the record is not written.
var ErrClosed = errors.New("audit log closed")

// Close waits for the segments being written and refuses later records (ErrClosed), so nothing writes to
// the store once the sidecar has closed it. (A refused call's record is written off the call's goroutine
// and can arrive after the server stopped.)
func (l *Log) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.flushers.Wait()
}

type pending struct {
	line []byte
	time time.Time
	done chan error
}

// Option customizes a Log.
type Option func(*Log)

// WithSegmentMaxBytes bounds the bytes of one segment.
func WithSegmentMaxBytes(n int) Option { return func(l *Log) { l.maxBytes = n } }

// WithLogger sets where write failures are logged.
func WithLogger(lg *slog.Logger) Option { return func(l *Log) { l.log = lg } }

// New returns a Log on store.
func New(store blob.Store, opts ...Option) *Log {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	l := &Log{store: store, instance: hex.EncodeToString(b), maxBytes: DefaultSegmentMaxBytes, log: slog.Default()}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Write implements Writer.
func (l *Log) Write(ctx context.Context, r Record) error {
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	r.Time = r.Time.UTC()
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("audit record: %w", err)
	}
	p := &pending{line: append(line, '\n'), time: r.Time, done: make(chan error, 1)}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.queue = append(l.queue, p)
	if !l.flushing {
		l.flushing = true
		l.flushers.Add(1)
		go l.flush()
	}
	l.mu.Unlock()
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("audit record not confirmed: %w", ctx.Err())
	}
}

// flush writes segments until the queue is empty.
func (l *Log) flush() {
	defer l.flushers.Done()
	for {
		batch, seq := l.take()
		if len(batch) == 0 {
			return
		}
		err := l.writeSegment(batch, seq)
		if err != nil {
			l.log.Error("audit segment not written; the calls it held fail", "records", len(batch), "error", err)
		}
		for _, p := range batch {
			p.done <- err
		}
	}
}

// take removes the next segment's records from the queue (at least one, at most maxBytes when more), or
// ends the flushing when there are none.
func (l *Log) take() ([]*pending, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, size := 0, 0
	for n < len(l.queue) && (n == 0 || size+len(l.queue[n].line) <= l.maxBytes) {
		size += len(l.queue[n].line)
		n++
	}
	if n == 0 {
		l.flushing = false
		return nil, 0
	}
	batch := l.queue[:n:n]
	l.queue = l.queue[n:]
	l.seq++
	return batch, l.seq
}

func (l *Log) writeSegment(batch []*pending, seq uint64) error {
	first := batch[0].time
	for _, p := range batch[1:] {
		if p.time.Before(first) {
			first = p.time
		}
	}
	var buf bytes.Buffer
	for _, p := range batch {
		buf.Write(p.line)
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	_, err := l.store.Put(ctx, segmentKey(first, l.instance, seq), &buf, blob.PutOptions{IfNoneMatch: true})
	return err
}

// segmentKey is Prefix + 20-digit Unix nanoseconds of the first record + instance + sequence.
func segmentKey(first time.Time, instance string, seq uint64) string {
	return fmt.Sprintf("%s%020d-%s-%010d.jsonl", Prefix, first.UnixNano(), instance, seq)
}
