package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/audit"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/server"
	"github.com/kamld/kamld/sidecar/internal/server/interceptors"
)

// The audit check of every API test (docs/security.md, "Audit log"): each sidecar the harness starts writes
// the audit log, and its clients — the gRPC connection s.conn (every RPC, Flight SQL included) and the HTTP
// client behind s.rest and s.http — send each call with a request id of their own and note how it ended. When
// the test ends, callLog.check compares the log with the calls: every mutating call and every denied one left
// exactly one record with its outcome, no other call left any, and no record belongs to a call no client
// made (records of job code, which calls the API with its own token, excepted). A test that breaks the store
// on purpose opts out with skipAuditCheck.

// callLog follows the calls made to one sidecar.
type callLog struct {
	store blob.Store // where the sidecar writes its audit log

	mu     sync.Mutex
	calls  []*loggedCall
	optOut string
}

// loggedCall is one call as its client saw it.
type loggedCall struct {
	id   string
	rpc  string // the gRPC method; for REST, the one its route calls ("" when none)
	what string // how the call reads in a failure: the RPC, or "HTTP-method path"
	code codes.Code
	// outcome is the outcome its record must have: the code it ended with, except for a raw upload route
	// whose body broke off (UPLOAD_INCOMPLETE): the route cancelled its call, which is recorded CANCELLED.
	outcome string
	// done: the client saw the call end. reached: its answer carried its request id, so it went through
	// the interceptor chain (a call refused by the gRPC tap, the HTTP front or the gateway's parsing did not).
	done, reached bool
}

// sentIDs holds the request id of every call any harness client sent, so a check can tell a record of
// another sidecar sharing the store from one of a call nobody followed.
var sentIDs sync.Map

func (l *callLog) start(id, rpc, what string) *loggedCall {
	sentIDs.Store(id, true)
	c := &loggedCall{id: id, rpc: rpc, what: what}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
	return c
}

func (l *callLog) finish(c *loggedCall, code codes.Code, reached bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.code, c.done, c.reached = code, true, reached
	if c.outcome == "" {
		c.outcome = codeName(code)
	}
}

// wants is how many records the call must have left, at least and at most.
func (c *loggedCall) wants() (int, int) {
	denied := c.code == codes.Unauthenticated || c.code == codes.PermissionDenied
	mutating, known := interceptors.Mutating[c.rpc]
	switch {
	case !c.done, c.code == codes.Canceled, c.code == codes.DeadlineExceeded:
		return 0, 1 // the client left or gave up: the call may have ended at the server either way
	case !c.reached && denied:
		return 1, 1 // refused by the gRPC tap or the HTTP front, before an answer could carry its id
	case !c.reached:
		return 0, 0 // never became a call (the transport or the gateway refused the request itself)
	case denied, mutating, !known:
		return 1, 1
	case c.code == codes.NotFound:
		return 0, 1 // a read of what does not exist (none), or of what access control hides (a denial)
	}
	return 0, 0
}

// skipAuditCheck turns the end-of-test check off for a test that breaks the audit log's store on purpose.
func (s *sidecar) skipAuditCheck(why string) {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	s.calls.optOut = why
}

// checkAudit runs the check now (the harness runs it again when the test ends).
func (s *sidecar) checkAudit(t *testing.T) { s.calls.check(t) }

// check fails the test for every call whose records are not what they must be. Records of calls the gRPC
// transport refused are written just after the refusal, so it waits a little for them.
func (l *callLog) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	why := l.optOut
	l.mu.Unlock()
	if why != "" {
		t.Logf("audit check skipped: %s", why)
		return
	}
	var problems []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		problems = l.problems(t)
		if len(problems) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(problems) > 0 {
		t.Errorf("audit log: every mutating and denied call leaves exactly one record:\n%s", strings.Join(problems, "\n"))
	}
}

func (l *callLog) problems(t *testing.T) []string {
	byID := map[string][]audit.Record{}
	for _, r := range l.records(t) {
		byID[r.RequestID] = append(byID[r.RequestID], r)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, c := range l.calls {
		recs := byID[c.id]
		lo, hi := c.wants()
		switch {
		case len(recs) < lo || len(recs) > hi:
			out = append(out, fmt.Sprintf("%s ended %s (request %s): %d records, want %d to %d", c.what, codeName(c.code), c.id, len(recs), lo, hi))
		case len(recs) == 1 && c.done && lo == hi && recs[0].Outcome != c.outcome:
			out = append(out, fmt.Sprintf("%s (request %s): recorded %s, want %s", c.what, c.id, recs[0].Outcome, c.outcome))
		}
	}
	for id, recs := range byID {
		for _, r := range recs {
			if _, ok := sentIDs.Load(id); !ok && r.Kind != "job" {
				out = append(out, fmt.Sprintf("record of a call no test client made: %s %s by %q (request %q)", r.Method, r.Outcome, r.Subject, id))
			}
		}
	}
	return out
}

// records reads the whole audit log from the store.
func (l *callLog) records(t *testing.T) []audit.Record {
	t.Helper()
	var out []audit.Record
	q := audit.Query{PageSize: 1000}
	for {
		recs, next, err := audit.List(context.Background(), l.store, q)
		require.NoError(t, err)
		out = append(out, recs...)
		if q.PageToken = next; next == "" {
			return out
		}
	}
}

// dialOptions make a gRPC connection's calls followed.
func (l *callLog) dialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithChainUnaryInterceptor(l.unary), grpc.WithChainStreamInterceptor(l.stream)}
}

// unaudited are the calls the audit log leaves out by design: health checks, which need no credential.
const unaudited = "/grpc.health.v1.Health/"

func (l *callLog) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if strings.HasPrefix(method, unaudited) {
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	ctx, id := withRequestID(ctx)
	c := l.start(id, method, method)
	var header, trailer metadata.MD
	err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Header(&header), grpc.Trailer(&trailer))...)
	l.finish(c, status.Code(err), carries(header, id) || carries(trailer, id))
	return err
}

func (l *callLog) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if strings.HasPrefix(method, unaudited) {
		return streamer(ctx, desc, cc, method, opts...)
	}
	ctx, id := withRequestID(ctx)
	c := l.start(id, method, method)
	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		l.finish(c, status.Code(err), false)
		return nil, err
	}
	return &loggedStream{ClientStream: cs, oneAnswer: desc.ClientStreams && !desc.ServerStreams, done: func(err error) {
		header, _ := cs.Header()
		l.finish(c, status.Code(err), carries(header, id) || carries(cs.Trailer(), id))
	}}, nil
}

// loggedStream learns how its call ended: at its one answer for a client-streaming call, otherwise at the end
// of the stream. A stream the test leaves unread stays unfinished (see wants).
type loggedStream struct {
	grpc.ClientStream
	oneAnswer bool
	once      sync.Once
	done      func(error)
}

func (s *loggedStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil || s.oneAnswer {
		ended := err
		if errors.Is(err, io.EOF) {
			ended = nil
		}
		s.once.Do(func() { s.done(ended) })
	}
	return err
}

// withRequestID sends the call with the request id ctx carries already, or a new one.
func withRequestID(ctx context.Context) (context.Context, string) {
	if md, ok := metadata.FromOutgoingContext(ctx); ok {
		if v := md.Get(interceptors.RequestIDKey); len(v) > 0 {
			return ctx, v[len(v)-1]
		}
	}
	id := newRequestID()
	return metadata.AppendToOutgoingContext(ctx, interceptors.RequestIDKey, id), id
}

func carries(md metadata.MD, id string) bool {
	v := md.Get(interceptors.RequestIDKey)
	return len(v) > 0 && v[0] == id
}

// loggedTransport follows the API requests (/v1/…) of an HTTP client.
type loggedTransport struct {
	l    *callLog
	next http.RoundTripper
}

func (tr loggedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		return tr.next.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	id := r.Header.Get("X-Request-Id")
	if id == "" {
		id = newRequestID()
		r.Header.Set("X-Request-Id", id)
	}
	c := tr.l.start(id, server.RouteRPC(r.Method, r.URL.Path), r.Method+" "+r.URL.Path)
	resp, err := tr.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	answer := codes.OK
	if resp.StatusCode >= 400 {
		// Error bodies are small google.rpc.Status documents: read, then handed on unread.
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		answer = restAnswerCode(resp.StatusCode, body)
		if bytes.Contains(body, []byte(`"UPLOAD_INCOMPLETE"`)) {
			c.outcome = codeName(codes.Canceled)
		}
	}
	tr.l.finish(c, answer, resp.Header.Get("X-Request-Id") == id)
	return resp, nil
}

// restAnswerCode is the gRPC code of a REST error: its google.rpc.Status body's, or, without a body (HEAD),
// the code its HTTP status stands for.
func restAnswerCode(httpStatus int, body []byte) codes.Code {
	var st struct {
		Code int `json:"code"`
	}
	if json.Unmarshal(body, &st) == nil && st.Code != 0 {
		return codes.Code(st.Code)
	}
	if c, ok := map[int]codes.Code{401: codes.Unauthenticated, 403: codes.PermissionDenied, 404: codes.NotFound}[httpStatus]; ok {
		return c
	}
	return codes.Unknown
}

// allAuditRecords reads the whole audit log through ListAuditRecords, page by page.
func allAuditRecords(t *testing.T, s *sidecar, admin context.Context) []*kamldv1.AuditRecord {
	t.Helper()
	client := kamldv1.NewAuditServiceClient(s.conn)
	var out []*kamldv1.AuditRecord
	req := &kamldv1.ListAuditRecordsRequest{PageSize: 1000}
	for {
		resp, err := client.ListAuditRecords(admin, req)
		require.NoError(t, err)
		out = append(out, resp.GetRecords()...)
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			return out
		}
	}
}

func codeName(c codes.Code) string { return code.Code(c).String() }

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "test-" + hex.EncodeToString(b)
}
