package server_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	flightgen "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/server/interceptors"
)

// TestEveryRPCIsClassifiedForAudit: each RPC kamld serves is in interceptors.Mutating (a new RPC fails here
// until it is classified), and the table names no RPC that does not exist.
func TestEveryRPCIsClassifiedForAudit(t *testing.T) {
	served := map[string]bool{}
	services := append(allServices(), flightgen.File_Flight_proto.Services().Get(0))
	for _, sd := range services {
		for i := 0; i < sd.Methods().Len(); i++ {
			full := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(i).Name())
			served[full] = true
			_, ok := interceptors.Mutating[full]
			assert.True(t, ok, "%s is not classified in interceptors.Mutating: is it a write (audited always) or a read (audited when denied)?", full)
		}
	}
	for _, name := range []string{"grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"} {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		require.NoError(t, err)
		served["/"+name+"/"+string(d.(protoreflect.ServiceDescriptor).Methods().Get(0).Name())] = true
	}
	for m := range interceptors.Mutating {
		assert.True(t, served[m], "interceptors.Mutating names %s, which kamld does not serve", m)
	}
}

// TestAuditTrailSingleUser: over gRPC and REST, mutating calls (succeeded or failed, unary and streaming)
// and denied calls (a bad token, refused by the transport or by the HTTP front) leave exactly one record;
// reads leave none.
func TestAuditTrailSingleUser(t *testing.T) {
	s := startSidecar(t)
	conn := s.conn
	dsc := kamldv1.NewDatasetServiceClient(conn)

	_, err := dsc.CreateDataset(s.authed("x-kamld-user", "zoe"), &kamldv1.CreateDatasetRequest{DatasetId: "iris"})
	require.NoError(t, err)
	_, err = dsc.CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "iris"})
	require.Equal(t, codes.AlreadyExists, status.Code(err), "a failed write is audited too")
	_, err = dsc.GetDataset(s.authed(), &kamldv1.GetDatasetRequest{Name: "datasets/iris"})
	require.NoError(t, err)
	_, err = dsc.GetDataset(s.withToken("not-the-token-0123456789"), &kamldv1.GetDatasetRequest{Name: "datasets/iris"})
	require.Equal(t, codes.Unauthenticated, status.Code(err))

	stream, err := kamldv1.NewFileServiceClient(conn).WriteFile(s.authed())
	require.NoError(t, err)
	require.NoError(t, stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Header{Header: &kamldv1.WriteFileHeader{Dataset: "datasets/iris", Path: "a.csv"}}}))
	require.NoError(t, stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Data{Data: []byte("x\n")}}))
	_, err = stream.CloseAndRecv()
	require.NoError(t, err)

	code, body, _ := s.rest(t, "POST", "/v1/datasets/iris/snapshots", `{"message":"first"}`, s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	code, _, _ = s.rest(t, "GET", "/v1/datasets/iris", "", s.bearer())
	require.Equal(t, http.StatusOK, code)
	code, _, _ = s.rest(t, "DELETE", "/v1/datasets/iris", "", map[string]string{"Authorization": "Bearer wrong-token-0123456789"})
	require.Equal(t, http.StatusUnauthorized, code)
	s.checkAudit(t)

	recs := allAuditRecords(t, s, s.authed())
	byMethod := map[string]*kamldv1.AuditRecord{}
	for _, r := range recs {
		byMethod[r.GetMethod()+" "+r.GetOutcome()] = r
	}
	created := byMethod["/kamld.v1.DatasetService/CreateDataset OK"]
	require.NotNil(t, created, "%v", recs)
	assert.Equal(t, "zoe", created.GetSubject())
	assert.Equal(t, "iris", created.GetDataset())
	assert.Equal(t, "user", created.GetKind())
	assert.Equal(t, "127.0.0.1", created.GetClientAddress())
	assert.WithinDuration(t, time.Now(), created.GetTime().AsTime(), time.Minute)
	assert.Equal(t, "iris", byMethod["/kamld.v1.FileService/WriteFile OK"].GetDataset(), "the dataset of a stream comes from its first message")
	viaREST := byMethod["/kamld.v1.SnapshotService/CreateSnapshot OK"]
	assert.Equal(t, "127.0.0.1", viaREST.GetClientAddress(), "REST calls are recorded with the HTTP client's address, not the gateway's")
	refused := byMethod["HTTP DELETE /v1/datasets/iris UNAUTHENTICATED"]
	require.NotNil(t, refused, "%v", recs)
	assert.Equal(t, "TOKEN_INVALID", refused.GetReason())
	assert.Equal(t, "iris", refused.GetDataset())
	assert.Empty(t, refused.GetSubject())
}

// TestAuditTrailShared: in shared mode, records name the verified caller and its groups; a forged identity
// header and a non-admin reading the log are denied and recorded; the REST route filters.
func TestAuditTrailShared(t *testing.T) {
	s := startSharedSidecar(t)
	conn := s.conn

	_, err := kamldv1.NewDatasetServiceClient(conn).CreateDataset(s.withToken(bobServiceToken), &kamldv1.CreateDatasetRequest{DatasetId: "bobs"})
	require.NoError(t, err)
	_, err = kamldv1.NewAuditServiceClient(conn).ListAuditRecords(s.withToken(bobServiceToken), &kamldv1.ListAuditRecordsRequest{})
	require.Equal(t, codes.PermissionDenied, status.Code(err), "only admins read the audit log")
	_, err = kamldv1.NewDatasetServiceClient(conn).DeleteDataset(withMD(s.withToken(bobServiceToken), "x-kamld-user", "alice"), &kamldv1.DeleteDatasetRequest{Name: "datasets/bobs"})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	code, _, _ := s.rest(t, "GET", "/v1/datasets", "", map[string]string{"Authorization": "Bearer " + bobServiceToken, "X-Kamld-User": "alice"})
	require.Equal(t, http.StatusForbidden, code)
	s.checkAudit(t)

	q := url.Values{"subject": {"bob"}, "outcome": {"PERMISSION_DENIED"}, "pageSize": {"10"}}
	code, body, _ := s.rest(t, "GET", "/v1/audit/records?"+q.Encode(), "", map[string]string{"Authorization": "Bearer " + aliceServiceToken})
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"method":"/kamld.v1.AuditService/ListAuditRecords"`)
	assert.Contains(t, body, `"reason":"IDENTITY_HEADER_REFUSED"`, "the forger is recorded as who it is")
	assert.Contains(t, body, `"groups":["lab"]`)
	assert.NotContains(t, body, `"outcome":"OK"`)
	assert.NotContains(t, body, bobServiceToken, "no record holds a credential")

	code, body, _ = s.rest(t, "GET", "/v1/audit/records?pageToken=forged", "", map[string]string{"Authorization": "Bearer " + aliceServiceToken})
	assert.Equal(t, http.StatusBadRequest, code, body)
}

// TestAuditUnavailableFailsTheCall: when the store cannot take the record, a call that must be audited is
// answered UNAVAILABLE (AUDIT_UNAVAILABLE) instead, over REST too; a bad token is then 503, never a silent 401.
func TestAuditUnavailableFailsTheCall(t *testing.T) {
	s, srv := startSidecarOnMinIO(t)
	s.skipAuditCheck("the test stops the audit log's store")
	srv.Stop()
	t.Cleanup(srv.Restart)
	req, err := http.NewRequest("DELETE", s.baseURL+"/v1/datasets/x", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer wrong-token-0123456789")
	resp, err := s.http.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, string(body))
	assert.Equal(t, "AUDIT_UNAVAILABLE", restReason(t, string(body)))

	_, err = kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "lost"})
	require.Equal(t, codes.Unavailable, status.Code(err))
	assert.Equal(t, "AUDIT_UNAVAILABLE", grpcReason(t, err))
}
