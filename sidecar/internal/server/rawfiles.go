package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/datasetsvc"
	"github.com/kamld/kamld/sidecar/internal/server/interceptors"
)

// File bytes over REST never go through JSON. These two handlers serve
// GET and PUT /v1/datasets/{dataset}/content/{path...} with HTTP's own semantics (ETag, If-None-Match, a
// single Range, Content-Type, streaming both ways) by calling FileService over the gateway's connection, so
// every byte still passes through the interceptor chain (auth, validation, logging, metrics).
// (grpc-gateway's own streaming would put a newline after every chunk of a file.)

const maxUploadChunk = 256 << 10

type rawFiles struct {
	files kamldv1.FileServiceClient
	chunk int
}

func newRawFiles(conn *grpc.ClientConn, maxMessage int) *rawFiles {
	return &rawFiles{files: kamldv1.NewFileServiceClient(conn), chunk: datasetsvc.ChunkFor(maxMessage, maxUploadChunk)}
}

// callContext carries the caller's credentials, identity and request id into the gRPC call the route is
// about to make, and echoes that id in the answer as the gateway does (X-Request-Id): the answer tells the
// client that its request became a call, and by which id the call's log lines and audit record are found.
func callContext(w http.ResponseWriter, r *http.Request) context.Context {
	md := metadata.MD{}
	for header, key := range map[string]string{"Authorization": "authorization", "X-Kamld-User": interceptors.IdentityKey} {
		if v := r.Header.Get(header); v != "" {
			md.Set(key, v)
		}
	}
	id := interceptors.RequestIDFor(r.Header.Get("X-Request-Id"))
	md.Set(interceptors.RequestIDKey, id)
	w.Header().Set("X-Request-Id", id)
	return metadata.NewOutgoingContext(r.Context(), md)
}

func (f *rawFiles) download(w http.ResponseWriter, r *http.Request) {
	ctx := callContext(w, r)
	dataset, path, ref := "datasets/"+r.PathValue("dataset"), r.PathValue("path"), r.URL.Query().Get("ref")
	info, err := f.files.StatFile(ctx, &kamldv1.StatFileRequest{Dataset: dataset, Path: path, Ref: ref})
	if err != nil {
		apierr.WriteStatus(w, status.Convert(err))
		return
	}
	w.Header().Set("ETag", info.GetEtag())
	w.Header().Set("Accept-Ranges", "bytes")
	modified := info.GetModifyTime().AsTime()
	if info.GetModifyTime() != nil {
		w.Header().Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	}
	if etagMatches(r.Header.Get("If-None-Match"), info.GetEtag()) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	rangeHeader := r.Header.Get("Range")
	if !ifRangeHolds(r.Header.Get("If-Range"), info.GetEtag(), modified, info.GetModifyTime() != nil, time.Now()) {
		rangeHeader = "" // the client's partial copy is of another version: send the whole file
	}
	offset, length, partial, ok := parseRange(rangeHeader, info.GetSize())
	if !ok {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", info.GetSize()))
		apierr.WriteStatus(w, apierr.Status(apierr.New(codes.OutOfRange, kamldv1.ErrorReason_ERROR_REASON_RANGE_NOT_SATISFIABLE, "range %q is outside the file's %d bytes", r.Header.Get("Range"), info.GetSize())))
		return
	}
	stream, err := f.files.ReadFile(ctx, &kamldv1.ReadFileRequest{Dataset: dataset, Path: path, Ref: ref, Offset: offset, Length: length})
	first, ok := opened[*httpbody.HttpBody](w, stream, err)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", first.GetContentType())
	w.Header().Set("Content-Length", strconv.FormatInt(length, 10))
	code := http.StatusOK
	if partial {
		code = http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", offset, offset+length-1, info.GetSize()))
	}
	w.WriteHeader(code)
	if r.Method == http.MethodHead {
		return
	}
	for msg := first; ; {
		if _, err := w.Write(msg.GetData()); err != nil {
			return // client gone; the stream's context ends with the request
		}
		if msg, err = stream.Recv(); err != nil {
			if !errors.Is(err, io.EOF) {
				// Headers are out: cut the connection so the client sees a short body, never a "complete" wrong one.
				panic(http.ErrAbortHandler)
			}
			return
		}
	}
}

// opened returns a server stream's first message, or answers the call's error (nothing was sent yet, so it
// still has its HTTP status) and returns false. err is that of starting the call.
func opened[M any, S interface{ Recv() (M, error) }](w http.ResponseWriter, stream S, err error) (M, bool) {
	var first M
	if err == nil {
		if first, err = stream.Recv(); err == nil {
			return first, true
		}
	}
	apierr.WriteStatus(w, status.Convert(err))
	return first, false
}

// optionalBool reads a boolean query parameter as the gateway does: absent is false, anything else must parse.
func optionalBool(v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	return strconv.ParseBool(v)
}

func (f *rawFiles) upload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	create, err := optionalBool(q.Get("create_only"))
	if err != nil {
		apierr.WriteStatus(w, apierr.Status(apierr.InvalidArgument("create_only", "%q is not a boolean (true or false)", q.Get("create_only"))))
		return
	}
	header := &kamldv1.WriteFileHeader{
		Dataset: "datasets/" + r.PathValue("dataset"), Path: r.PathValue("path"),
		MediaType: r.Header.Get("Content-Type"), ExpectedDigest: q.Get("expected_digest"),
		ExpectedSize: r.ContentLength, CreateOnly: create, IfMatch: r.Header.Get("If-Match"),
	}
	if header.ExpectedSize < 0 {
		header.ExpectedSize = 0
	}
	ctx, cancel := context.WithCancel(callContext(w, r))
	defer cancel()
	stream, err := f.files.WriteFile(ctx)
	if err != nil {
		apierr.WriteStatus(w, status.Convert(err))
		return
	}
	if err := f.send(stream, header, r.Body); err != nil {
		cancel() // the body broke off: abandon the write, which leaves no trace in the draft
		apierr.WriteStatus(w, apierr.Status(apierr.New(codes.InvalidArgument, kamldv1.ErrorReason_ERROR_REASON_UPLOAD_INCOMPLETE, "reading the request body: %v", err)))
		return
	}
	info, err := stream.CloseAndRecv()
	if err == nil {
		w.Header().Set("ETag", info.GetEtag())
	}
	answerJSON(w, info, err)
}

// answerJSON writes a call's result as JSON, or its error with the error's HTTP status.
func answerJSON(w http.ResponseWriter, m proto.Message, err error) {
	if err != nil {
		apierr.WriteStatus(w, status.Convert(err))
		return
	}
	body, _ := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(m)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// send streams the header and then the body. A send error means the server already answered (CloseAndRecv
// returns why); only a failing body is reported here.
func (f *rawFiles) send(stream grpc.ClientStreamingClient[kamldv1.WriteFileRequest, kamldv1.FileInfo], h *kamldv1.WriteFileHeader, body io.Reader) error {
	if err := stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Header{Header: h}}); err != nil {
		return nil
	}
	buf := make([]byte, f.chunk)
	for {
		n, err := io.ReadFull(body, buf)
		if n > 0 {
			if serr := stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Data{Data: buf[:n]}}); serr != nil {
				return nil
			}
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil
		case err != nil:
			return err
		}
	}
}
