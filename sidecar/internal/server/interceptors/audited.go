package interceptors

// Mutating classifies every RPC kamld serves: true when the call changes state (and is therefore audited
// whatever its outcome), false for reads (audited only when denied). A test fails for an RPC missing here, so
// a new RPC is classified when it is added. A method not in the table is audited as mutating.
var Mutating = map[string]bool{
	"/kamld.v1.DatasetService/CreateDataset": true,
	"/kamld.v1.DatasetService/GetDataset":    false,
	"/kamld.v1.DatasetService/ListDatasets":  false,
	"/kamld.v1.DatasetService/UpdateDataset": true,
	"/kamld.v1.DatasetService/DeleteDataset": true,

	"/kamld.v1.SnapshotService/CreateSnapshot":  true,
	"/kamld.v1.SnapshotService/GetSnapshot":     false,
	"/kamld.v1.SnapshotService/ListSnapshots":   false,
	"/kamld.v1.SnapshotService/DiffSnapshots":   false,
	"/kamld.v1.SnapshotService/RestoreSnapshot": true,
	"/kamld.v1.SnapshotService/CreateTag":       true,
	"/kamld.v1.SnapshotService/ListTags":        false,
	"/kamld.v1.SnapshotService/DeleteTag":       true,

	"/kamld.v1.BranchService/CreateBranch": true,
	"/kamld.v1.BranchService/GetBranch":    false,
	"/kamld.v1.BranchService/ListBranches": false,
	"/kamld.v1.BranchService/DeleteBranch": true,
	"/kamld.v1.BranchService/RenameBranch": true,
	"/kamld.v1.BranchService/MergeBranch":  true,

	"/kamld.v1.FileService/StatFile":  false,
	"/kamld.v1.FileService/ListFiles": false,
	"/kamld.v1.FileService/ReadFile":  false,
	"/kamld.v1.FileService/WriteFile": true,
	// A presigned URL lets its holder read or write without asking kamld again: audited like the write.
	"/kamld.v1.FileService/SignFileUrl":        true,
	"/kamld.v1.FileService/CommitSignedUpload": true,
	"/kamld.v1.FileService/DeleteFile":         true,

	"/kamld.v1.BatchUploadService/UploadFiles": true,

	// A long poll that names no dataset: a read.
	"/kamld.v1.ChangeService/WatchChanges": false,

	"/kamld.v1.AccessService/GetAccess": false,
	"/kamld.v1.AccessService/SetAccess": true,

	// PlanPipeline only computes what a run would do.
	"/kamld.v1.PipelineService/PlanPipeline":      false,
	"/kamld.v1.PipelineService/RunPipeline":       true,
	"/kamld.v1.PipelineService/GetPipelineRun":    false,
	"/kamld.v1.PipelineService/ListPipelineRuns":  false,
	"/kamld.v1.PipelineService/CancelPipelineRun": true,
	"/kamld.v1.PipelineService/WatchPipelineRun":  false,

	"/kamld.v1.JobService/SubmitJob":     true,
	"/kamld.v1.JobService/GetJob":        false,
	"/kamld.v1.JobService/ListJobs":      false,
	"/kamld.v1.JobService/CancelJob":     true,
	"/kamld.v1.JobService/WatchJob":      false,
	"/kamld.v1.JobService/StreamJobLogs": false,
	"/kamld.v1.JobService/ListFlavors":   false,

	"/kamld.v1.QueryService/ExecuteQuery":    false,
	"/kamld.v1.QueryService/CancelQuery":     true,
	"/kamld.v1.QueryService/PreviewFile":     false,
	"/kamld.v1.QueryService/ListTables":      false,
	"/kamld.v1.QueryService/SaveQueryResult": true,

	"/kamld.v1.SearchService/SearchDatasets": false,
	"/kamld.v1.SearchService/SuggestValues":  false,

	"/kamld.v1.SystemService/GetInfo":           false,
	"/kamld.v1.SystemService/GetMetricsSummary": false,

	"/kamld.v1.AuditService/ListAuditRecords": false,

	// Arrow Flight SQL: queries are reads; DoPut and DoExchange carry client data in, so they count as writes.
	"/arrow.flight.protocol.FlightService/Handshake":      false,
	"/arrow.flight.protocol.FlightService/ListFlights":    false,
	"/arrow.flight.protocol.FlightService/GetFlightInfo":  false,
	"/arrow.flight.protocol.FlightService/PollFlightInfo": false,
	"/arrow.flight.protocol.FlightService/GetSchema":      false,
	"/arrow.flight.protocol.FlightService/DoGet":          false,
	"/arrow.flight.protocol.FlightService/DoPut":          true,
	"/arrow.flight.protocol.FlightService/DoExchange":     true,
	"/arrow.flight.protocol.FlightService/DoAction":       false,
	"/arrow.flight.protocol.FlightService/ListActions":    false,

	"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      false,
	"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": false,
}

// mutating reports whether calls of method are audited whatever their outcome.
func mutating(method string) bool {
	m, ok := Mutating[method]
	return m || !ok
}
