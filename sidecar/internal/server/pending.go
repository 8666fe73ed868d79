package server

import (
	"google.golang.org/grpc"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// pendingServices are registered with their generated "unimplemented" servers so that reflection, the
// gateway and the OpenAPI document show the whole API; the capability interceptor answers their RPCs with
// UNIMPLEMENTED naming the capability. Each entry goes away when its capability lands.
var pendingServices = map[string]string{
	kamldv1.DatasetService_ServiceDesc.ServiceName:  "datasets",
	kamldv1.SnapshotService_ServiceDesc.ServiceName: "datasets",
	kamldv1.FileService_ServiceDesc.ServiceName:     "datasets",
	kamldv1.SearchService_ServiceDesc.ServiceName:   "search",
	kamldv1.QueryService_ServiceDesc.ServiceName:    "sql",
	kamldv1.JobService_ServiceDesc.ServiceName:      "jobs",
}

func registerPending(s grpc.ServiceRegistrar) {
	kamldv1.RegisterDatasetServiceServer(s, kamldv1.UnimplementedDatasetServiceServer{})
	kamldv1.RegisterSnapshotServiceServer(s, kamldv1.UnimplementedSnapshotServiceServer{})
	kamldv1.RegisterFileServiceServer(s, kamldv1.UnimplementedFileServiceServer{})
	kamldv1.RegisterSearchServiceServer(s, kamldv1.UnimplementedSearchServiceServer{})
	kamldv1.RegisterQueryServiceServer(s, kamldv1.UnimplementedQueryServiceServer{})
	kamldv1.RegisterJobServiceServer(s, kamldv1.UnimplementedJobServiceServer{})
}
