package interceptors

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/audit"
	"github.com/kamld/kamld/sidecar/internal/auth"
)

// auditor writes the audit record of every mutating and every denied call before the call is answered
// (docs/security.md). It sits outside auth, so it sees calls auth refused, and outside the error mapping, so
// it records final codes. A call whose record cannot be written is answered UNAVAILABLE (AUDIT_UNAVAILABLE)
// instead: the change it made, if any, stands, as after any UNAVAILABLE answer.
type auditor struct {
	w   audit.Writer
	log *slog.Logger
	// async bounds the records written in the background for calls the tap refused (see TapAuth).
	async chan struct{}
}

func newAuditor(w audit.Writer, log *slog.Logger) auditor {
	return auditor{w: w, log: log, async: make(chan struct{}, 256)}
}

func (a auditor) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if strings.HasPrefix(info.FullMethod, healthService) {
		return h(ctx, req)
	}
	ctx, call := audit.WithCall(ctx)
	resp, err := h(ctx, req)
	if !audited(info.FullMethod, err, call) {
		return resp, err
	}
	if werr := a.write(ctx, info.FullMethod, datasetOf(req), err, call); werr != nil {
		return nil, werr
	}
	return resp, err
}

func (a auditor) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if strings.HasPrefix(info.FullMethod, healthService) {
		return h(srv, ss)
	}
	ctx, call := audit.WithCall(ss.Context())
	as := &auditStream{ServerStream: ss, ctx: ctx, a: a, method: info.FullMethod, call: call,
		// A client-streaming call answers once, at its end (SendAndClose): its record is written just before.
		recordOnSend: info.IsClientStream && !info.IsServerStream && mutating(info.FullMethod)}
	err := h(srv, as)
	if as.recorded || !audited(info.FullMethod, err, call) {
		return err
	}
	if werr := a.write(ctx, info.FullMethod, as.resource, err, call); werr != nil {
		return werr
	}
	return err
}

// audited: every mutating call, and every denied one (a NOT_FOUND only when access control said so). A call
// that succeeded was not refused, even if some access check on its way said no: a statement whose table
// name was both an unreadable dataset and one of its own WITH tables reads the latter.
func audited(method string, err error, call *audit.Call) bool {
	if denied, _ := call.IsDenied(); (denied && err != nil) || mutating(method) {
		return true
	}
	switch status.Code(err) {
	case codes.Unauthenticated, codes.PermissionDenied:
		return true
	}
	return false
}

// write writes the call's record; its error, when not nil, is the status to answer instead.
func (a auditor) write(ctx context.Context, method, resource string, err error, call *audit.Call) error {
	rec := newRecord(method, err)
	rec.Resource, rec.RequestID, rec.ClientAddr = resource, RequestID(ctx), clientAddr(ctx)
	if denied, res := call.IsDenied(); denied && res != "" {
		rec.Resource = res
	}
	if p := callOf(ctx).principal; p != nil {
		withPrincipal(&rec, *p)
	}
	// The call's own cancellation must not lose the record of what it did.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	if werr := a.w.Write(wctx, rec); werr != nil {
		a.log.Error("audit record not written; the call is answered UNAVAILABLE", "method", method, "request_id", rec.RequestID, "error", werr)
		return apierr.Status(AuditUnavailable(werr)).Err()
	}
	return nil
}

// AuditUnavailable is the answer to a call whose audit record could not be written.
func AuditUnavailable(err error) error {
	return apierr.New(codes.Unavailable, kamldv1.ErrorReason_ERROR_REASON_AUDIT_UNAVAILABLE, "the audit record of this call could not be written, so it is not answered: %v", err)
}

// writeRefusal records, in the background, a call the tap refused: the tap runs on the connection's reader
// and must not wait for the store. Past the bound of records in flight the record is dropped and logged.
func (a auditor) writeRefusal(ctx context.Context, method string, err error, header metadata.MD) {
	rec := newRecord(method, err)
	rec.ClientAddr = peerAddr(ctx)
	if p, ok := auth.PrincipalFrom(ctx); ok {
		withPrincipal(&rec, p)
	}
	if v := header.Get(RequestIDKey); len(v) > 0 && validRequestID(v[0]) {
		rec.RequestID = v[0]
	}
	select {
	case a.async <- struct{}{}:
	default:
		a.log.Warn("audit record of a refused call dropped: too many in flight", "method", method, "client", rec.ClientAddr)
		return
	}
	go func() {
		defer func() { <-a.async }()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := a.w.Write(ctx, rec); err != nil {
			a.log.Error("audit record of a refused call not written", "method", method, "error", err)
		}
	}()
}

// newRecord is the record of a call to method that ended with err, its caller not filled in.
func newRecord(method string, err error) audit.Record {
	st := apierr.Status(err)
	rec := audit.Record{Time: time.Now().UTC(), Method: method, Outcome: code.Code(st.Code()).String()}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			rec.Reason = info.GetReason()
		}
	}
	return rec
}

// RefusalRecord is the audit record of a REST request the HTTP front refused before it became a call.
func RefusalRecord(httpMethod, path, requestID, remoteAddr string, err error) audit.Record {
	rec := newRecord("HTTP "+httpMethod+" "+path, err)
	rec.RequestID, rec.Resource = requestID, datasetOfPath(path)
	if host, _, splitErr := net.SplitHostPort(remoteAddr); splitErr == nil {
		rec.ClientAddr = host
	}
	return rec
}

func withPrincipal(rec *audit.Record, p auth.Principal) {
	rec.Subject, rec.Groups = p.Name, p.Groups
	rec.Kind = [...]string{auth.KindUser: "user", auth.KindService: "service", auth.KindJob: "job"}[p.Kind]
}

// clientAddr is the caller's address. REST calls reach gRPC through the in-process gateway (a bufconn
// peer), which appends the HTTP client's address to x-forwarded-for: its last entry is the one the gateway
// wrote, the others came from the client and are not trusted.
func clientAddr(ctx context.Context) string {
	addr := peerAddr(ctx)
	if addr != "bufconn" {
		return addr
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("x-forwarded-for"); len(v) > 0 {
		parts := strings.Split(v[len(v)-1], ",")
		return strings.TrimSpace(parts[len(parts)-1])
	}
	return addr
}

func peerAddr(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
		return host
	}
	return p.Addr.String()
}

// datasetOf finds the dataset a request names: a "datasets/{id}…" name, parent or dataset field, or a
// dataset_id, at the top level or in a message field one level down (an upload's header, an update's
// dataset).
func datasetOf(req any) string {
	m, ok := req.(proto.Message)
	if !ok {
		return ""
	}
	return datasetIn(m.ProtoReflect(), 2)
}

func datasetIn(m protoreflect.Message, depth int) string {
	fields := m.Descriptor().Fields()
	for _, name := range []protoreflect.Name{"dataset_id", "name", "parent", "dataset"} {
		f := fields.ByName(name)
		if f == nil || f.Kind() != protoreflect.StringKind || f.IsList() {
			continue
		}
		v := m.Get(f).String()
		if name == "dataset_id" && v != "" {
			return v
		}
		if id := datasetOfName(v); id != "" {
			return id
		}
	}
	if depth == 0 {
		return ""
	}
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if f.Kind() == protoreflect.MessageKind && !f.IsList() && !f.IsMap() && m.Has(f) {
			if id := datasetIn(m.Get(f).Message(), depth-1); id != "" {
				return id
			}
		}
	}
	return ""
}

// datasetOfName is the id in "datasets/{id}" or "datasets/{id}/…".
func datasetOfName(name string) string {
	rest, ok := strings.CutPrefix(name, "datasets/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

// datasetOfPath is the id in a REST path "/v1/datasets/{id}…" (or "/v1/datasets/{id}:verb").
func datasetOfPath(path string) string {
	rest, ok := strings.CutPrefix(path, "/v1/datasets/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	id, _, _ = strings.Cut(id, ":")
	return id
}

// auditStream learns the resource from the first message received and, for a client-streaming mutating
// call, writes the record before its one answer is sent.
type auditStream struct {
	grpc.ServerStream
	ctx          context.Context
	a            auditor
	method       string
	call         *audit.Call
	recordOnSend bool
	recorded     bool
	resource     string
}

func (s *auditStream) Context() context.Context { return s.ctx }

func (s *auditStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil && s.resource == "" {
		s.resource = datasetOf(m)
	}
	return err
}

func (s *auditStream) SendMsg(m any) error {
	if s.recordOnSend && !s.recorded {
		s.recorded = true
		if err := s.a.write(s.ctx, s.method, s.resource, nil, s.call); err != nil {
			return err
		}
	}
	return s.ServerStream.SendMsg(m)
}
