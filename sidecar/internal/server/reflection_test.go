package server_test

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// TestReflection does what grpcurl does: list the services through reflection, fetch their descriptors, and
// call GetInfo with a dynamic message built from what the server described (nothing from generated code).
func TestReflection(t *testing.T) {
	s := startSidecar(t)
	stream, err := rpb.NewServerReflectionClient(s.conn).ServerReflectionInfo(s.authed())
	require.NoError(t, err)
	ask := func(req *rpb.ServerReflectionRequest) *rpb.ServerReflectionResponse {
		require.NoError(t, stream.Send(req))
		resp, err := stream.Recv()
		require.NoError(t, err)
		return resp
	}

	list := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}})
	var names []string
	for _, svc := range list.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	sort.Strings(names)
	for _, want := range []string{
		"grpc.health.v1.Health", "kamld.v1.DatasetService", "kamld.v1.FileService", "kamld.v1.JobService",
		"kamld.v1.QueryService", "kamld.v1.SearchService", "kamld.v1.SnapshotService", "kamld.v1.SystemService",
	} {
		assert.Contains(t, names, want)
	}

	resp := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "kamld.v1.SystemService"}})
	files := new(protoregistry.Files)
	pending := resp.GetFileDescriptorResponse().GetFileDescriptorProto()
	// Dependencies arrive in the same response; register them until everything resolves.
	for len(pending) > 0 {
		var next [][]byte
		for _, raw := range pending {
			fdp := &descriptorpb.FileDescriptorProto{}
			require.NoError(t, proto.Unmarshal(raw, fdp))
			fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
			if err != nil {
				next = append(next, raw)
				continue
			}
			_ = files.RegisterFile(fd)
		}
		require.Less(t, len(next), len(pending), "descriptors do not resolve")
		pending = next
	}
	d, err := files.FindDescriptorByName("kamld.v1.SystemService")
	require.NoError(t, err)
	method := d.(protoreflect.ServiceDescriptor).Methods().ByName("GetInfo")
	in := dynamicpb.NewMessage(method.Input())
	out := dynamicpb.NewMessage(method.Output())

	require.NoError(t, s.conn.Invoke(s.authed(), "/kamld.v1.SystemService/GetInfo", in, out))
	assert.Equal(t, "0.1.0", out.Get(method.Output().Fields().ByName("version")).String())

	err = s.conn.Invoke(s.withToken("wrong-token-wrong-token"), "/kamld.v1.SystemService/GetInfo", in, out)
	assert.Equal(t, codes.Unauthenticated, status.Code(err), "reflection does not bypass auth for calls")
}
