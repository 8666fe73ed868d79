package server_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/server"
)

// Distinctive names a workload uses; none may appear in /metrics (labels carry only kamld's own constants).
const (
	markUser    = "zqxuser7731"
	markDataset = "zqxdataset5519"
	markFile    = "zqxfile4402"
	markTag     = "zqxtag8810"
)

// runWorkload exercises datasets, files, snapshots, search and SQL with the distinctive names, including
// calls that fail (so error outcomes and failure records are written too).
func runWorkload(t *testing.T, s *sidecar) {
	t.Helper()
	ctx := s.authed("x-kamld-user", markUser)
	dc := kamldv1.NewDatasetServiceClient(s.conn)
	_, err := dc.CreateDataset(ctx, &kamldv1.CreateDatasetRequest{DatasetId: markDataset, Dataset: &kamldv1.Dataset{Tags: []string{markTag}}})
	require.NoError(t, err)
	writeFile(t, s, markDataset, markFile+".csv", "name,score\nann,3\nbob,4\n")
	_, err = kamldv1.NewSnapshotServiceClient(s.conn).CreateSnapshot(ctx, &kamldv1.CreateSnapshotRequest{Parent: "datasets/" + markDataset})
	require.NoError(t, err)
	_, err = dc.GetDataset(ctx, &kamldv1.GetDatasetRequest{Name: "datasets/" + markDataset + "missing"})
	require.Error(t, err)
	code, body, _ := s.rest(t, "GET", "/v1/datasets:search?query=tag:"+markTag, "", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	stream, err := kamldv1.NewQueryServiceClient(s.conn).ExecuteQuery(ctx, &kamldv1.ExecuteQueryRequest{
		Sql: `SELECT count(*) FROM "` + markDataset + `@v1".` + markFile})
	require.NoError(t, err)
	for {
		if _, err := stream.Recv(); err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
	}
}

func metricsText(t *testing.T, s *sidecar) string {
	t.Helper()
	code, body, _ := s.rest(t, "GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, code)
	return body
}

// TestNoUserDataInLabels fails when a metric label carries a user, a dataset, a file path or a tag.
func TestNoUserDataInLabels(t *testing.T) {
	s := startSidecar(t)
	runWorkload(t, s)
	body := metricsText(t, s)
	for _, mark := range []string{markUser, markDataset, markFile, markTag} {
		assert.NotContains(t, body, mark, "a metric label carries request data")
	}
	// And the workload was measured: backend operations of the fs store and the index, ingest, snapshots, SQL.
	for _, want := range []string{
		`kamld_backend_operation_duration_seconds_count{backend="fs",operation="put",outcome="ok"}`,
		`kamld_backend_operation_duration_seconds_count{backend="bleve",operation="search",outcome="ok"}`,
		`kamld_backend_operation_duration_seconds_count{backend="duckdb",operation="query",outcome="ok"}`,
		`kamld_rpc_handled_total{code="NotFound",method="/kamld.v1.DatasetService/GetDataset"}`,
		`kamld_rpc_duration_seconds_bucket{method="/kamld.v1.QueryService/ExecuteQuery",le="600"}`,
		`kamld_snapshot_duration_seconds_count{outcome="ok"}`,
		`kamld_ingest_files_total{outcome="ok"}`,
		"kamld_ingest_bytes_total", "kamld_sql_rows_total", "kamld_index_oldest_pending_seconds", `kamld_backend_up{backend="bleve",capability="index"} 1`,
	} {
		assert.Contains(t, body, want)
	}
}

// TestHealthEndpoints: liveness never depends on a backend; readiness and grpc.health.v1 answer per backend.
func TestHealthEndpoints(t *testing.T) {
	s := startSidecar(t)
	for _, p := range []string{"/livez", "/healthz", "/readyz", "/readyz/blob", "/readyz/index", "/readyz/sql", "/readyz/compute"} {
		code, body, _ := s.rest(t, "GET", p, "", nil)
		assert.Equal(t, http.StatusOK, code, "%s: %s", p, body)
	}
	code, body, _ := s.rest(t, "GET", "/readyz?verbose", "", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "[+] blob fs ok")
	assert.Contains(t, body, "[+] index bleve ok")

	hc := healthpb.NewHealthClient(s.conn)
	for _, svc := range []string{"", server.HealthServicePrefix + "blob", server.HealthServicePrefix + "index", server.HealthServicePrefix + "sql", server.HealthServicePrefix + "compute"} {
		require.Eventually(t, func() bool {
			r, err := hc.Check(t.Context(), &healthpb.HealthCheckRequest{Service: svc})
			return err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING
		}, 10*time.Second, 50*time.Millisecond, "service %q", svc)
	}
	_, err := hc.Check(t.Context(), &healthpb.HealthCheckRequest{Service: "kamld.nothing"})
	assert.Error(t, err, "an unknown service is NOT_FOUND")
}

// TestMetricsSummary: the local window reflects the workload; bad requests are INVALID_ARGUMENT, and the
// fleet view without a Prometheus is FAILED_PRECONDITION.
func TestMetricsSummary(t *testing.T) {
	s := startSidecar(t)
	runWorkload(t, s)
	sc := kamldv1.NewSystemServiceClient(s.conn)
	sum, err := sc.GetMetricsSummary(s.authed(), &kamldv1.GetMetricsSummaryRequest{WindowSeconds: 300})
	require.NoError(t, err)
	assert.Equal(t, "local", sum.GetSource())
	assert.EqualValues(t, 300, sum.GetWindowSeconds())
	assert.Greater(t, sum.GetRpcs().GetCount(), int64(5))
	backends := map[string]*kamldv1.CallStats{}
	for _, b := range sum.GetBackends() {
		backends[b.GetBackend()] = b.GetCalls()
	}
	require.Contains(t, backends, "fs")
	assert.Greater(t, backends["fs"].GetCount(), int64(0))
	assert.Greater(t, backends["fs"].GetP99Seconds(), 0.0)
	assert.GreaterOrEqual(t, backends["fs"].GetP99Seconds(), backends["fs"].GetP50Seconds())
	// The per-minute charts: every minute of the window, summing to the totals.
	require.Len(t, backends["fs"].GetMinutes(), 5)
	var perMinute int64
	for _, m := range backends["fs"].GetMinutes() {
		perMinute += m.GetCount()
	}
	assert.Equal(t, backends["fs"].GetCount(), perMinute)
	assert.Len(t, sum.GetRpcs().GetMinutes(), 5)
	assert.Len(t, sum.GetJobMinutes(), 5)
	assert.Len(t, sum.GetStorageUsedHistory(), 5)
	assert.Len(t, sum.GetIndexPendingHistory(), 5)

	code, body, _ := s.rest(t, "GET", "/v1/system/metrics-summary?windowSeconds=600", "", s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"backends"`)

	short, err := sc.GetMetricsSummary(s.authed(), &kamldv1.GetMetricsSummaryRequest{WindowSeconds: 10})
	require.NoError(t, err)
	assert.EqualValues(t, 60, short.GetWindowSeconds(), "a window under a minute reads as one minute")
	for _, bad := range []*kamldv1.GetMetricsSummaryRequest{{WindowSeconds: -1}, {WindowSeconds: 7200}, {Source: "elsewhere"}} {
		_, err := sc.GetMetricsSummary(s.authed(), bad)
		assert.Equal(t, "InvalidArgument", statusCode(err), "%v", bad)
	}
	_, err = sc.GetMetricsSummary(s.authed(), &kamldv1.GetMetricsSummaryRequest{Source: "prometheus"})
	assert.Equal(t, "FailedPrecondition", statusCode(err))
}

func statusCode(err error) string { return status.Code(err).String() }

// TestGetInfoHealthHistory: when a backend fails, GetInfo says since when, how often and the last error; after
// it recovers the count and the error stay while degraded_since clears. Liveness never notices.
func TestGetInfoHealthHistory(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	s := startSidecar(t, func(c *config.Config) { c.Blob.FS.Dir = store })
	sc := kamldv1.NewSystemServiceClient(s.conn)
	blobStatus := func() *kamldv1.BackendStatus {
		info, err := sc.GetInfo(s.authed(), &kamldv1.GetInfoRequest{})
		require.NoError(t, err)
		return info.GetBackends()[0]
	}
	require.Equal(t, "blob", blobStatus().GetCapability())

	require.NoError(t, os.Rename(store, store+".away"))
	var bs *kamldv1.BackendStatus
	require.Eventually(t, func() bool {
		bs = blobStatus()
		return bs.GetFailures() >= 2
	}, 10*time.Second, 200*time.Millisecond)
	assert.Equal(t, kamldv1.Health_HEALTH_NOT_SERVING, bs.GetHealth())
	assert.NotNil(t, bs.GetDegradedSince())
	assert.Contains(t, bs.GetLastError(), "store directory")
	code, _, _ := s.rest(t, "GET", "/livez", "", nil)
	assert.Equal(t, http.StatusOK, code, "liveness does not depend on a backend")
	code, body, _ := s.rest(t, "GET", "/readyz/blob", "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, code, body)
	code, _, _ = s.rest(t, "GET", "/readyz/index", "", nil)
	assert.Equal(t, http.StatusOK, code, "the index is still ready")

	require.NoError(t, os.Rename(store+".away", store))
	require.Eventually(t, func() bool {
		bs = blobStatus()
		return bs.GetHealth() == kamldv1.Health_HEALTH_SERVING
	}, 10*time.Second, 200*time.Millisecond)
	assert.Nil(t, bs.GetDegradedSince())
	assert.GreaterOrEqual(t, bs.GetFailures(), int64(2))
	assert.Contains(t, bs.GetLastError(), "store directory")
}
