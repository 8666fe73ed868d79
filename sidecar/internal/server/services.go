package server

import (
	"errors"

	"google.golang.org/grpc"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/changefeed"
	"github.com/kamld/kamld/sidecar/internal/changesvc"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/datasetsvc"
	"github.com/kamld/kamld/sidecar/internal/job"
	"github.com/kamld/kamld/sidecar/internal/jobsvc"
	"github.com/kamld/kamld/sidecar/internal/pipeline"
	"github.com/kamld/kamld/sidecar/internal/pipelinesvc"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// Services are the domain objects behind the kamld.v1 services, as the wiring package assembles them. Every
// field is required: a sidecar serves the whole API or does not start.
type Services struct {
	Datasets *dataset.Engine
	Tables   *tabular.Catalog // the schemas of tabular files, carried by datasets and snapshots
	Search   kamldv1.SearchServiceServer
	Query    kamldv1.QueryServiceServer
	Jobs     *job.Manager
	Audit    kamldv1.AuditServiceServer // reads the audit log (answers FAILED_PRECONDITION when it is off)
	// Pipelines runs pipelines of jobs (PipelineService).
	Pipelines *pipeline.Manager
	Changes   *changefeed.Feed // dataset writes, for clients that keep lists current
}

// capabilities are the feature names a sidecar serves (SystemInfo.capabilities), in report order.
var capabilities = []string{"system", "datasets", "search", "sql", "jobs", "pipelines"}

func (v Services) check() error {
	var errs []error
	for name, missing := range map[string]bool{
		"datasets": v.Datasets == nil, "tables": v.Tables == nil, "search": v.Search == nil,
		"query": v.Query == nil, "jobs": v.Jobs == nil, "audit": v.Audit == nil, "pipelines": v.Pipelines == nil,
		"changes": v.Changes == nil,
	} {
		if missing {
			errs = append(errs, errors.New("server: no "+name+" service"))
		}
	}
	return errors.Join(errs...)
}

// register registers every kamld.v1 service but SystemService on r.
func (v Services) register(r grpc.ServiceRegistrar, maxMessageBytes int) {
	withTables := datasetsvc.WithTables(v.Tables)
	kamldv1.RegisterDatasetServiceServer(r, datasetsvc.NewDatasets(v.Datasets, withTables))
	kamldv1.RegisterSnapshotServiceServer(r, datasetsvc.NewSnapshots(v.Datasets, withTables))
	kamldv1.RegisterFileServiceServer(r, datasetsvc.NewFiles(v.Datasets, maxMessageBytes))
	kamldv1.RegisterBranchServiceServer(r, datasetsvc.NewBranches(v.Datasets))
	kamldv1.RegisterBatchUploadServiceServer(r, datasetsvc.NewBatchUploads(v.Datasets))
	kamldv1.RegisterAccessServiceServer(r, datasetsvc.NewAccess(v.Datasets))
	kamldv1.RegisterSearchServiceServer(r, v.Search)
	kamldv1.RegisterQueryServiceServer(r, v.Query)
	kamldv1.RegisterJobServiceServer(r, jobsvc.New(v.Jobs))
	kamldv1.RegisterAuditServiceServer(r, v.Audit)
	kamldv1.RegisterPipelineServiceServer(r, pipelinesvc.New(v.Pipelines))
	kamldv1.RegisterChangeServiceServer(r, changesvc.New(v.Changes))
}
