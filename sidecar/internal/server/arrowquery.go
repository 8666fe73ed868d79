package server

import (
	"bufio"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// ArrowMIME is the media type of an Arrow IPC stream.
const ArrowMIME = "application/vnd.apache.arrow.stream"

// arrowQueries answers POST /v1/queries:execute with an Arrow IPC stream when the client's Accept asks for
// one, by calling ExecuteQuery with RESULT_FORMAT_ARROW over the gateway's connection (so the call passes the
// same interceptors as any other). The body is the IPC stream — schema, record batches, end-of-stream marker —
// followed by one JSON line after the marker: {"stats": QueryStats}, or {"error": Status} when the query fails
// once rows were sent (then without the marker, so that an Arrow reader fails too rather than seeing a
// shorter result). Failures before the first byte are JSON errors with their HTTP status, as everywhere.
// docs/arrow.md describes the format for clients.
type arrowQueries struct {
	queries kamldv1.QueryServiceClient
	limit   int64
}

func newArrowQueries(conn grpc.ClientConnInterface, limit int) *arrowQueries {
	return &arrowQueries{queries: kamldv1.NewQueryServiceClient(conn), limit: int64(limit)}
}

// wrap serves Arrow requests and hands the others (other methods too, for the gateway's own errors) to the
// gateway.
func (a *arrowQueries) wrap(gateway http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !acceptsArrow(r.Header.Values("Accept")) {
			gateway.ServeHTTP(w, r)
			return
		}
		a.execute(w, r)
	})
}

// acceptsArrow reports whether an Accept header names the Arrow stream type.
func acceptsArrow(accept []string) bool {
	for _, h := range accept {
		for part := range strings.SplitSeq(h, ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == ArrowMIME {
				return true
			}
		}
	}
	return false
}

var jsonOpts = protojson.MarshalOptions{EmitUnpopulated: true}

func (a *arrowQueries) execute(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > a.limit {
		apierr.WriteStatus(w, apierr.Status(apierr.InvalidArgument("body", "request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, a.limit)))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.limit))
	if err != nil {
		apierr.WriteStatus(w, apierr.Status(apierr.InvalidArgument("body", "cannot read the request body: %v", err)))
		return
	}
	req := &kamldv1.ExecuteQueryRequest{}
	if err := protojson.Unmarshal(body, req); err != nil {
		apierr.WriteStatus(w, apierr.Status(apierr.InvalidArgument("body", "malformed request: %v", err)))
		return
	}
	req.Format = kamldv1.ResultFormat_RESULT_FORMAT_ARROW
	stream, err := a.queries.ExecuteQuery(callContext(w, r), req)
	first, ok := opened[*kamldv1.ExecuteQueryResponse](w, stream, err)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", ArrowMIME)
	w.Header().Set("X-Kamld-Query", first.GetSchema().GetQuery())
	w.WriteHeader(http.StatusOK)
	copyArrow(w, stream)
}

// arrowWriteBuffer gathers Arrow pieces into large HTTP chunks: clients decode chunked bodies chunk by chunk
// (Python's urllib3 at a cost per chunk), and DuckDB's batches are small.
const arrowWriteBuffer = 1 << 20

// copyArrow writes the stream's Arrow pieces as they come, then the closing JSON line. The first piece goes
// out at once, so that the client sees the stream start; the rest in chunks of up to arrowWriteBuffer.
func copyArrow(w http.ResponseWriter, stream kamldv1.QueryService_ExecuteQueryClient) {
	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, arrowWriteBuffer)
	defer func() {
		_ = bw.Flush()
		_ = rc.Flush()
	}()
	for first := true; ; first = false {
		msg, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return
			}
			line, _ := protojson.Marshal(status.Convert(err).Proto())
			_, _ = bw.Write([]byte(`{"error":` + string(line) + "}\n"))
			return
		}
		switch p := msg.GetPart().(type) {
		case *kamldv1.ExecuteQueryResponse_Arrow:
			if _, err := bw.Write(p.Arrow); err != nil {
				return // the client is gone; the call ends with the request's context
			}
			if first {
				_ = bw.Flush()
				_ = rc.Flush()
			}
		case *kamldv1.ExecuteQueryResponse_Stats:
			line, _ := jsonOpts.Marshal(p.Stats)
			_, _ = bw.Write([]byte(`{"stats":` + string(line) + "}\n"))
		}
	}
}
