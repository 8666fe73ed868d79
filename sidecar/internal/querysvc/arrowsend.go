package querysvc

import (
	"context"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"google.golang.org/protobuf/types/known/durationpb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
)

const (
	// arrowDefaultBatch is how many rows an engine that answers in rows is asked for at a time, for Arrow.
	arrowDefaultBatch = 2048
	// arrowMessageTarget bounds the Arrow bytes of one message, so that a batch of wide rows still fits in
	// a client's default 4 MiB gRPC message: a message holds less than this plus one slice of at most this.
	arrowMessageTarget = 1 << 20
)

// sendArrow sends the result as pieces of one Arrow IPC stream: each record batch message in its own
// response, the end-of-stream marker (and, for an empty result, the schema message) in the last. Limits
// hold as for rows: at most max_rows rows and max_bytes bytes of Arrow buffers, batches cut to batch_rows
// when it was given.
func (s *Service) sendArrow(ctx context.Context, st *guard.Statement, rows query.Rows, l limits, out *resultStream) error {
	schema := query.ArrowSchema(rows.Columns())
	next := recordsOf(rows, schema, l)
	chunks := &ipcChunks{}
	var dst io.Writer = chunks
	if out.sink = arrowSinkOf(ctx); out.sink != nil {
		dst = out.sink
	}
	w := ipc.NewWriter(dst, ipc.WithSchema(schema))
	for !out.stats.Truncated {
		rec, err := next(ctx)
		if err != nil {
			return s.engineErr(st, err)
		}
		if rec == nil {
			break
		}
		err = sendRecord(rec, w, chunks, l, out)
		rec.Release()
		if err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil || out.sink != nil {
		return err
	}
	return out.send(&kamldv1.ExecuteQueryResponse{Part: &kamldv1.ExecuteQueryResponse_Arrow{Arrow: chunks.take()}})
}

// recordsOf reads the result as batches in schema: the engine's own when it makes them (ArrowRows), else
// converted once from its rows.
func recordsOf(rows query.Rows, schema *arrow.Schema, l limits) func(context.Context) (arrow.RecordBatch, error) {
	if ar, ok := rows.(query.ArrowRows); ok {
		return ar.NextRecord
	}
	n := arrowDefaultBatch
	if l.batchSet {
		n = l.batch
	}
	return func(ctx context.Context) (arrow.RecordBatch, error) {
		batch, err := rows.Next(ctx, n)
		if err != nil || len(batch) == 0 {
			return nil, err
		}
		return query.RowsToRecord(schema, batch)
	}
}

// sendRecord writes rec in slices within the limits. With batch_rows each slice is a message of its own (the
// client chose that grain). Without, the first slice goes out at once, so that the client sees the stream
// start, and later ones gather until a message holds about arrowMessageTarget bytes: DuckDB makes batches of
// 2,048 rows, and one message per batch cost more in sends than the bytes (a 100,000-row result was 49
// messages, now 5).
func sendRecord(rec arrow.RecordBatch, w *ipc.Writer, chunks *ipcChunks, l limits, out *resultStream) error {
	return sliceWithin(rec, l, out.stats, func(slice arrow.RecordBatch) error {
		err := w.Write(slice)
		slice.Release()
		if err != nil {
			return err
		}
		if out.sink != nil {
			return out.flushSink(l.batchSet)
		}
		if !l.batchSet && out.stats.TimeToFirstBatch != nil && len(chunks.buf) < arrowMessageTarget {
			return nil
		}
		return out.send(&kamldv1.ExecuteQueryResponse{Part: &kamldv1.ExecuteQueryResponse_Arrow{Arrow: chunks.take()}})
	})
}

// sliceWithin cuts rec into slices within the limits — rows and bytes left, batch_rows when given, about
// arrowMessageTarget bytes each — counting them in stats and setting stats.Truncated when a limit cuts
// the result. emit owns each slice (it releases it).
func sliceWithin(rec arrow.RecordBatch, l limits, stats *kamldv1.QueryStats, emit func(arrow.RecordBatch) error) error {
	n := rec.NumRows()
	if n == 0 {
		return nil
	}
	perRow := max(float64(recordBytes(rec))/float64(n), 1)
	step := max(int64(arrowMessageTarget/perRow), 1)
	if l.batchSet {
		step = min(step, int64(l.batch))
	}
	for off := int64(0); off < n && !stats.Truncated; {
		k := min(n-off, step)
		if stats.Rows+k > l.maxRows {
			k, stats.Truncated = l.maxRows-stats.Rows, true
		}
		if room := float64(l.maxBytes - stats.Bytes); perRow*float64(k) > room {
			k, stats.Truncated = int64(room/perRow), true
		}
		if k <= 0 {
			break
		}
		stats.Rows += k
		stats.Bytes += int64(perRow * float64(k))
		if err := emit(rec.NewSlice(off, off+k)); err != nil {
			return err
		}
		off += k
	}
	return nil
}

// recordBytes is the size of a batch's Arrow buffers.
func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, c := range rec.Columns() {
		n += dataBytes(c.Data())
	}
	return n
}

func dataBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += dataBytes(c)
	}
	return n
}

// ipcChunks collects what the IPC writer writes until it is taken as one message; each message gets a slice
// of its own, since gRPC may still hold the previous one.
type ipcChunks struct {
	buf  []byte
	last int
}

func (c *ipcChunks) Write(p []byte) (int, error) {
	if c.buf == nil {
		c.buf = make([]byte, 0, max(c.last, 4096))
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

func (c *ipcChunks) take() []byte {
	b := c.buf
	c.buf, c.last = nil, len(b)
	return b
}

// ArrowSink takes the bytes of a result's Arrow IPC stream as the service writes them, for a transport that
// passes them on as they are (the REST Arrow answer, docs/arrow.md): then there are no Arrow parts and no
// copy per part. Write has io.Writer's contract; Flush sends what was written on to the client.
type ArrowSink interface {
	io.Writer
	Flush() error
}

type arrowSinkKey struct{}

// WithArrowSink has ExecuteQuery calls made with ctx write an Arrow result's IPC stream to sink; their
// response stream still carries the schema part before it and the stats part after it.
func WithArrowSink(ctx context.Context, sink ArrowSink) context.Context {
	return context.WithValue(ctx, arrowSinkKey{}, sink)
}

func arrowSinkOf(ctx context.Context) ArrowSink {
	sink, _ := ctx.Value(arrowSinkKey{}).(ArrowSink)
	return sink
}

// flushSink sends the first batch at once (the client sees the stream start), every batch when the client
// chose batch_rows; the sink gathers the others.
func (r *resultStream) flushSink(each bool) error {
	if r.stats.TimeToFirstBatch != nil && !each {
		return nil
	}
	if r.stats.TimeToFirstBatch == nil {
		r.stats.TimeToFirstBatch = durationpb.New(time.Since(r.start))
	}
	return r.sink.Flush()
}
