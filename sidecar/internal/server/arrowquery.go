package server

import (
	"bufio"
	"context"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/querysvc"
	"github.com/kamld/kamld/sidecar/internal/server/interceptors"
)

// ArrowMIME is the media type of an Arrow IPC stream.
const ArrowMIME = "application/vnd.apache.arrow.stream"

// executeQueryMethod is the gRPC method an Arrow REST request is served as.
const executeQueryMethod = "/kamld.v1.QueryService/ExecuteQuery"

// arrowQueries answers POST /v1/queries:execute with an Arrow IPC stream when the client's Accept asks for
// one. The call is served in process: the interceptor chain (interceptors.StreamChain: request id, logging,
// metrics, audit, auth, validation, error mapping) and the query service's own ExecuteQuery run on a stream
// (arrowStream) whose request is the HTTP body and whose responses are written to the HTTP response as they
// come; the stream is also the call's querysvc.ArrowSink, so the service's IPC writer writes the record
// batches into the response's buffer. So the Arrow bytes reach the socket without protobuf framing, the
// gateway's in-memory gRPC hop or a copy per message, while the call is the same call a gRPC client makes.
//
// The body is the IPC stream — schema, record batches, end-of-stream marker — followed by one JSON line
// after the marker: {"stats": QueryStats}, or {"error": Status} when the query fails once rows were sent
// (then without the marker, so that an Arrow reader fails too rather than seeing a shorter result).
// Failures before the first byte are JSON errors with their HTTP status, as the gateway answers them.
// docs/arrow.md describes the format for clients.
type arrowQueries struct {
	gateway *runtime.ServeMux // whose header rules make the call's metadata
	queries kamldv1.QueryServiceServer
	chain   grpc.StreamServerInterceptor
	handler grpc.StreamHandler
	limit   int64
}

// arrowQueries serves Arrow REST queries with the query service behind the interceptor chain of o, reading
// the request's headers as gateway does.
func (s *Server) arrowQueries(o interceptors.Options, gateway *runtime.ServeMux) *arrowQueries {
	return &arrowQueries{gateway: gateway, queries: s.services.Query, chain: interceptors.StreamChain(o),
		handler: executeQueryHandler(), limit: int64(s.cfg.Limits.MaxMessageBytes)}
}

// executeQueryHandler is ExecuteQuery's generated stream handler (it receives the request, then calls the
// service), the one grpc-go calls.
func executeQueryHandler() grpc.StreamHandler {
	for _, d := range kamldv1.QueryService_ServiceDesc.Streams {
		if d.StreamName == "ExecuteQuery" {
			return d.Handler
		}
	}
	panic("server: kamld.v1.QueryService has no ExecuteQuery stream")
}

// wrap serves Arrow requests and hands the others (other methods too, for the gateway's own errors) to the
// gateway.
func (a *arrowQueries) wrap(gateway http.Handler) http.Handler {
	arrow := limitBody(a.limit, http.HandlerFunc(a.execute))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !acceptsArrow(r.Header.Values("Accept")) {
			gateway.ServeHTTP(w, r)
			return
		}
		arrow.ServeHTTP(w, r)
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

func (a *arrowQueries) execute(w http.ResponseWriter, r *http.Request) {
	ctx, err := a.incomingContext(r)
	if err != nil {
		apierr.WriteStatus(w, apierr.RESTStatus(err))
		return
	}
	bw := arrowBuffers.Get().(*bufio.Writer)
	bw.Reset(w)
	defer arrowBuffers.Put(bw)
	ss := &arrowStream{w: w, bw: bw, body: r.Body, rc: http.NewResponseController(w)}
	ctx = grpc.NewContextWithServerTransportStream(ctx, ss.transport())
	ss.ctx = querysvc.WithArrowSink(ctx, ss)
	info := &grpc.StreamServerInfo{FullMethod: executeQueryMethod, IsServerStream: true}
	ss.finish(a.chain(a.queries, ss, info, a.handler))
	bw.Reset(nil)
}

// arrowWriteBuffer gathers the IPC writer's many small writes (a batch is a header and a few buffers per
// column) into large HTTP chunks: clients decode chunked bodies chunk by chunk, Python's urllib3 at a cost
// per chunk. The buffers are reused across requests.
const arrowWriteBuffer = 1 << 20

var arrowBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, arrowWriteBuffer) }}

// incomingContext is the request's context as the gateway would make it for its gRPC call — the metadata it
// forwards (credentials, identity, request id, x-forwarded-for), the deadline of a Grpc-Timeout header — with
// the HTTP client as the call's peer.
func (a *arrowQueries) incomingContext(r *http.Request) (context.Context, error) {
	ctx, err := runtime.AnnotateIncomingContext(r.Context(), a.gateway, r, executeQueryMethod)
	if err != nil {
		return nil, err
	}
	if addr, err := net.ResolveTCPAddr("tcp", r.RemoteAddr); err == nil {
		ctx = peer.NewContext(ctx, &peer.Peer{Addr: addr})
	}
	return ctx, nil
}

// arrowStream is ExecuteQuery's server stream for one Arrow REST request. RecvMsg decodes the HTTP body —
// after the chain's auth link ran, so nothing of the body is read for a caller that is refused. SendMsg
// writes the response headers with the schema part, then each Arrow part's bytes as they are.
type arrowStream struct {
	ctx     context.Context
	w       http.ResponseWriter
	bw      *bufio.Writer // in front of w once the headers are out
	rc      *http.ResponseController
	body    io.Reader
	header  metadata.MD
	read    bool // the request was received
	started bool // the HTTP status and headers are out
	flushed bool // the first Arrow bytes were flushed
}

func (s *arrowStream) Context() context.Context { return s.ctx }

func (s *arrowStream) SetHeader(md metadata.MD) error {
	s.header = metadata.Join(s.header, md)
	return nil
}

func (s *arrowStream) SendHeader(md metadata.MD) error { return s.SetHeader(md) }

func (s *arrowStream) SetTrailer(metadata.MD) {}

// RecvMsg decodes the body into the request, as the gateway would, and asks for Arrow.
func (s *arrowStream) RecvMsg(m any) error {
	if s.read {
		return io.EOF
	}
	s.read = true
	req, ok := m.(*kamldv1.ExecuteQueryRequest)
	if !ok {
		return status.Errorf(codes.Internal, "arrow stream: %T is not an ExecuteQueryRequest", m)
	}
	body, err := io.ReadAll(s.body)
	if err != nil {
		return apierr.RESTStatus(err).Err()
	}
	if err := protojson.Unmarshal(body, req); err != nil {
		return apierr.RESTStatus(status.Errorf(codes.InvalidArgument, "%v", err)).Err()
	}
	req.Format = kamldv1.ResultFormat_RESULT_FORMAT_ARROW
	return nil
}

// SendMsg writes one response part. A write error means the client is gone; the query ends with the
// request's context.
func (s *arrowStream) SendMsg(m any) error {
	msg, ok := m.(*kamldv1.ExecuteQueryResponse)
	if !ok {
		return status.Errorf(codes.Internal, "arrow stream: %T is not an ExecuteQueryResponse", m)
	}
	switch p := msg.GetPart().(type) {
	case *kamldv1.ExecuteQueryResponse_Schema:
		s.start(p.Schema.GetQuery())
	case *kamldv1.ExecuteQueryResponse_Arrow:
		if _, err := s.Write(p.Arrow); err != nil {
			return err
		}
		if !s.flushed { // the client sees the stream start at once
			s.flushed = true
			return s.Flush()
		}
	case *kamldv1.ExecuteQueryResponse_Stats:
		line, _ := jsonOpts.Marshal(p.Stats)
		if _, err := s.Write([]byte(`{"stats":` + string(line) + "}\n")); err != nil {
			return err
		}
	}
	return nil
}

// Write implements querysvc.ArrowSink: the IPC writer's bytes go into the response buffer.
func (s *arrowStream) Write(p []byte) (int, error) {
	n, err := s.bw.Write(p)
	if err != nil {
		return n, clientGone(err)
	}
	return n, nil
}

// Flush implements querysvc.ArrowSink: what was written goes to the client now.
func (s *arrowStream) Flush() error {
	if err := s.bw.Flush(); err != nil {
		return clientGone(err)
	}
	return s.rc.Flush()
}

// clientGone is the error of a write the client no longer reads: the call is cancelled, not failed.
func clientGone(err error) error {
	return status.Errorf(codes.Canceled, "the client closed the connection: %v", err)
}

var jsonOpts = protojson.MarshalOptions{EmitUnpopulated: true}

// start sends the status and headers, once the query has a result.
func (s *arrowStream) start(query string) {
	s.started = true
	s.setRequestID()
	s.w.Header().Set("Content-Type", ArrowMIME)
	s.w.Header().Set("X-Kamld-Query", query)
	s.w.WriteHeader(http.StatusOK)
}

func (s *arrowStream) setRequestID() {
	if id := s.header.Get(interceptors.RequestIDKey); len(id) > 0 {
		s.w.Header().Set("X-Request-Id", id[0])
	}
}

// finish answers the call's end: an error before any byte with its HTTP status and JSON body (as the
// gateway's error handler does), one after with the closing error line.
func (s *arrowStream) finish(err error) {
	switch {
	case err != nil && !s.started:
		s.setRequestID()
		apierr.WriteStatus(s.w, apierr.RESTStatus(err))
		return
	case err != nil:
		line, _ := protojson.Marshal(status.Convert(err).Proto())
		_, _ = s.bw.Write([]byte(`{"error":` + string(line) + "}\n"))
	}
	_ = s.Flush()
}

// transport is the stream as grpc.SetHeader finds it in the context (the request-id link sets its header so).
func (s *arrowStream) transport() grpc.ServerTransportStream { return arrowTransport{s} }

type arrowTransport struct{ s *arrowStream }

func (t arrowTransport) Method() string                  { return executeQueryMethod }
func (t arrowTransport) SetHeader(md metadata.MD) error  { return t.s.SetHeader(md) }
func (t arrowTransport) SendHeader(md metadata.MD) error { return t.s.SetHeader(md) }
func (t arrowTransport) SetTrailer(md metadata.MD) error { return nil }
