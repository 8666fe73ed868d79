package server

import (
	"google.golang.org/grpc"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/datasetsvc"
	"github.com/kamld/kamld/sidecar/internal/jobsvc"
)

// Services not served by a real implementation are registered with their generated "unimplemented" servers
// so that reflection, the gateway and the OpenAPI document show the whole API; the capability interceptor
// answers their RPCs with UNIMPLEMENTED naming the capability.
var datasetServices = []string{
	kamldv1.DatasetService_ServiceDesc.ServiceName,
	kamldv1.SnapshotService_ServiceDesc.ServiceName,
	kamldv1.FileService_ServiceDesc.ServiceName,
	kamldv1.BranchService_ServiceDesc.ServiceName,
}

// pending maps each service this server does not serve to its capability.
func (s *Server) pending() map[string]string {
	out := map[string]string{}
	if s.datasets == nil {
		for _, svc := range datasetServices {
			out[svc] = "datasets"
		}
	}
	if s.search == nil {
		out[kamldv1.SearchService_ServiceDesc.ServiceName] = "search"
	}
	if s.query == nil {
		out[kamldv1.QueryService_ServiceDesc.ServiceName] = "sql"
	}
	if s.jobs == nil {
		out[kamldv1.JobService_ServiceDesc.ServiceName] = "jobs"
	}
	return out
}

// registerServices registers every kamld.v1 service: the real ones this server has, placeholders for the rest.
func (s *Server) registerServices(r grpc.ServiceRegistrar) {
	if s.datasets != nil {
		var opts []datasetsvc.Option
		if s.tables != nil {
			opts = append(opts, datasetsvc.WithTables(s.tables))
		}
		kamldv1.RegisterDatasetServiceServer(r, datasetsvc.NewDatasets(s.datasets, opts...))
		kamldv1.RegisterSnapshotServiceServer(r, datasetsvc.NewSnapshots(s.datasets, opts...))
		kamldv1.RegisterFileServiceServer(r, datasetsvc.NewFiles(s.datasets, s.cfg.Limits.MaxMessageBytes))
		kamldv1.RegisterBranchServiceServer(r, datasetsvc.NewBranches(s.datasets))
	} else {
		kamldv1.RegisterDatasetServiceServer(r, kamldv1.UnimplementedDatasetServiceServer{})
		kamldv1.RegisterSnapshotServiceServer(r, kamldv1.UnimplementedSnapshotServiceServer{})
		kamldv1.RegisterFileServiceServer(r, kamldv1.UnimplementedFileServiceServer{})
		kamldv1.RegisterBranchServiceServer(r, kamldv1.UnimplementedBranchServiceServer{})
	}
	if s.search != nil {
		kamldv1.RegisterSearchServiceServer(r, s.search)
	} else {
		kamldv1.RegisterSearchServiceServer(r, kamldv1.UnimplementedSearchServiceServer{})
	}
	if s.query != nil {
		kamldv1.RegisterQueryServiceServer(r, s.query)
	} else {
		kamldv1.RegisterQueryServiceServer(r, kamldv1.UnimplementedQueryServiceServer{})
	}
	if s.jobs != nil {
		kamldv1.RegisterJobServiceServer(r, jobsvc.New(s.jobs))
	} else {
		kamldv1.RegisterJobServiceServer(r, kamldv1.UnimplementedJobServiceServer{})
	}
}
