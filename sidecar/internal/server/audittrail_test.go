package server_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/server/interceptors"
)

// auditTrail checks the audit log of a test's calls: every mutating call and every denied one left exactly
// one record, and no other call left any. Calls made through its conn (gRPC) or its rest method carry a
// request id of its own, by which their records are found; any test can route its calls through a trail
// and end with check.
type auditTrail struct {
	s     *sidecar
	admin context.Context // reads the log (ListAuditRecords needs an admin)

	mu    sync.Mutex
	calls []trailCall
}

type trailCall struct {
	id, method string
	code       codes.Code
}

func newAuditTrail(s *sidecar, admin context.Context) *auditTrail {
	return &auditTrail{s: s, admin: admin}
}

// conn is a connection to the sidecar whose calls the trail follows.
func (a *auditTrail) conn(t *testing.T) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(a.s.conn.Target(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			ctx, id := withNewRequestID(ctx)
			err := invoker(ctx, method, req, reply, cc, opts...)
			a.add(id, method, status.Code(err))
			return err
		}),
		grpc.WithStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			ctx, id := withNewRequestID(ctx)
			cs, err := streamer(ctx, desc, cc, method, opts...)
			if err != nil {
				a.add(id, method, status.Code(err))
				return nil, err
			}
			return &trailStream{ClientStream: cs, done: func(err error) { a.add(id, method, status.Code(err)) }}, nil
		}))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// rest sends a REST request as sidecar.rest does, followed by the trail. rpc is the gRPC method the route
// serves ("" when the request is refused before it becomes a call).
func (a *auditTrail) rest(t *testing.T, rpc, method, path, body string, header map[string]string) (int, string) {
	t.Helper()
	id := newRequestID()
	h := map[string]string{"X-Request-Id": id}
	for k, v := range header {
		h[k] = v
	}
	code, resp, _ := a.s.rest(t, method, path, body, h)
	a.add(id, rpc, restCode(t, code, resp))
	return code, resp
}

func (a *auditTrail) add(id, method string, code codes.Code) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, trailCall{id: id, method: method, code: code})
}

// check fails the test unless each followed call left exactly the records it must: one when it was mutating
// or denied (UNAUTHENTICATED, PERMISSION_DENIED), none otherwise, with its outcome. Records of calls the gRPC
// transport refused are written just after the refusal, so check waits a little for them.
func (a *auditTrail) check(t *testing.T) {
	t.Helper()
	var problems []string
	require.Eventually(t, func() bool {
		problems = a.problems(t)
		return len(problems) == 0
	}, 5*time.Second, 50*time.Millisecond, "audit trail: %v", &problems)
}

func (a *auditTrail) problems(t *testing.T) []string {
	byID := map[string][]*kamldv1.AuditRecord{}
	for _, r := range allAuditRecords(t, a.s, a.admin) {
		byID[r.GetRequestId()] = append(byID[r.GetRequestId()], r)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, c := range a.calls {
		recs := byID[c.id]
		want := 0
		if c.code == codes.Unauthenticated || c.code == codes.PermissionDenied || c.method == "" || interceptors.Mutating[c.method] {
			want = 1
		}
		switch {
		case len(recs) != want:
			out = append(out, fmt.Sprintf("%s %s (request %s): %d records, want %d", c.method, c.code, c.id, len(recs), want))
		case want == 1 && recs[0].GetOutcome() != codeName(c.code):
			out = append(out, c.method+": record outcome "+recs[0].GetOutcome()+", call ended "+codeName(c.code))
		}
	}
	return out
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

type trailStream struct {
	grpc.ClientStream
	once sync.Once
	done func(error)
}

// RecvMsg: the first answer (or the end) tells how the call went. Client-streaming calls end with it;
// the streams of reads may fail later, which the trail does not follow (they are reads).
func (s *trailStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	s.once.Do(func() {
		if errors.Is(err, io.EOF) {
			s.done(nil)
			return
		}
		s.done(err)
	})
	return err
}

// restCode is the gRPC code of a REST answer: OK, or the code of its google.rpc.Status body.
func restCode(t *testing.T, httpStatus int, body string) codes.Code {
	if httpStatus == http.StatusOK {
		return codes.OK
	}
	return codes.Code(decodeStatus(t, body).Code)
}

func codeName(c codes.Code) string { return code.Code(c).String() }

func withNewRequestID(ctx context.Context) (context.Context, string) {
	id := newRequestID()
	return metadata.AppendToOutgoingContext(ctx, interceptors.RequestIDKey, id), id
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "trail-" + hex.EncodeToString(b)
}
