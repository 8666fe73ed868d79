package observe

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Domain metrics: what kamld does for its users, in the units operators reason about.
var (
	jobTransitions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kamld_job_transitions_total",
		Help: "Job state changes recorded by this sidecar, by new state and reason (failures by reason: state=\"failed\").",
	}, []string{"state", "reason"})
	jobQueueWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "kamld_job_queue_wait_seconds", Help: "Time from a job's submission to its first run starting.",
		Buckets: DurationBuckets,
	})
	jobRunTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kamld_job_run_seconds", Help: "Time from a job's run starting to its end, by final state.",
		Buckets: DurationBuckets,
	}, []string{"state"})
	ingestBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kamld_ingest_bytes_total", Help: "Bytes of file content received by uploads (deduplicated or not).",
	})
	ingestFiles = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kamld_ingest_files_total", Help: "File contents received by uploads, by outcome.",
	}, []string{"outcome"})
	snapshotDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kamld_snapshot_duration_seconds", Help: "Duration of snapshot creation, by outcome.",
		Buckets: DurationBuckets,
	}, []string{"outcome"})
	gcDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kamld_gc_duration_seconds", Help: "Duration of garbage collections, by outcome and whether a dry run.",
		Buckets: DurationBuckets,
	}, []string{"outcome", "dry_run"})
	gcFreed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kamld_gc_freed_bytes_total", Help: "Bytes of objects removed by garbage collection (dry runs excluded).",
	})
	gcLastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kamld_gc_last_success_timestamp_seconds", Help: "Unix time of this sidecar's last successful garbage collection (0: none yet).",
	})
	sqlRows = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kamld_sql_rows_total", Help: "Rows returned by SQL queries.",
	})
	sqlBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kamld_sql_bytes_total", Help: "Bytes of encoded SQL results sent to clients.",
	})
	storageUsed = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kamld_storage_used_bytes", Help: "Bytes of blobs and chunks live datasets refer to, as this sidecar's last garbage collection measured.",
	})
	backendUp = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kamld_backend_up", Help: "1 when the backend of a capability answered its last health check, 0 when it failed.",
	}, []string{"capability", "backend"})
	indexPending = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kamld_index_pending_markers", Help: "Dirty markers (index updates not yet applied) seen by the last catch-up.",
	})
)

// indexLag remembers the oldest pending marker so its age is computed at scrape time, not at catch-up time.
var indexLag struct {
	sync.Mutex
	oldest  time.Time
	pending int64
}

func registerDomain(reg prometheus.Registerer) {
	reg.MustRegister(jobTransitions, jobQueueWait, jobRunTime, ingestBytes, ingestFiles, snapshotDuration, gcDuration,
		gcFreed, gcLastSuccess, storageUsed, backendUp, sqlRows, sqlBytes, indexPending,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kamld_index_oldest_pending_seconds",
			Help: "Age of the oldest dirty marker seen by the last catch-up (0: the index is caught up).",
		}, func() float64 { return IndexLagAge().Seconds() }))
}

// jobReasons are the reasons kept as label values; any other becomes "other", so a backend's free-form
// reason cannot grow the label set.
var jobReasons = map[string]bool{
	"Submitted": true, "Retrying": true, "Starting": true, "WaitingForResources": true, "Unschedulable": true, "PullingImage": true,
	"MaterializingInputs": true, "Started": true, "StoringOutputs": true, "Completed": true, "Error": true,
	"DeadlineExceeded": true, "Lost": true, "CancelledByUser": true, "InputsFailed": true, "OutputsFailed": true,
}

// JobTransition records a job entering state (a lower-case state name such as "running") for reason.
func JobTransition(state, reason string) {
	if !jobReasons[reason] {
		reason = "other"
	}
	jobTransitions.WithLabelValues(state, reason).Inc()
	recordJob(state, reason)
}

// JobStarted records the queue wait of a run that just started.
func JobStarted(wait time.Duration) { jobQueueWait.Observe(wait.Seconds()) }

// JobEnded records the run time of a job that ended in state.
func JobEnded(state string, run time.Duration) {
	jobRunTime.WithLabelValues(state).Observe(run.Seconds())
}

// Ingested records one received file content of n bytes.
func Ingested(n int64, err error) {
	ingestFiles.WithLabelValues(Outcome(err)).Inc()
	if err == nil {
		ingestBytes.Add(float64(n))
	}
}

// SnapshotDone records a snapshot creation that took d.
func SnapshotDone(d time.Duration, err error) {
	snapshotDuration.WithLabelValues(Outcome(err)).Observe(d.Seconds())
}

// GCDone records a garbage collection that took d and freed bytes.
func GCDone(d time.Duration, dryRun bool, freed int64, err error) {
	dry := "false"
	if dryRun {
		dry = "true"
	}
	gcDuration.WithLabelValues(Outcome(err), dry).Observe(d.Seconds())
	if err == nil && !dryRun {
		gcFreed.Add(float64(freed))
		gcLastSuccess.SetToCurrentTime()
	}
}

// BackendUp records the result of a health check of capability's backend.
func BackendUp(capability, backend string, up bool) {
	v := 0.0
	if up {
		v = 1
	}
	backendUp.WithLabelValues(capability, backend).Set(v)
}

// StorageUsed records the bytes live datasets refer to.
func StorageUsed(bytes int64) {
	storageUsed.Set(float64(bytes))
	storage.Store(bytes)
	storageHistory.set(time.Now(), float64(bytes))
}

// storage mirrors the gauge for GetMetricsSummary.
var storage atomic.Int64

// StorageUsedBytes is the last value given to StorageUsed.
func StorageUsedBytes() int64 { return storage.Load() }

// IndexPending is the number of pending markers the last catch-up saw.
func IndexPending() int64 {
	indexLag.Lock()
	defer indexLag.Unlock()
	return indexLag.pending
}

// SQLResult records rows and encoded bytes sent for one query.
func SQLResult(rows, bytes int64) {
	sqlRows.Add(float64(rows))
	sqlBytes.Add(float64(bytes))
}

// IndexLag records what a catch-up found pending: the number of markers and the oldest one's write time.
func IndexLag(pending int, oldest time.Time) {
	indexPending.Set(float64(pending))
	pendingHistory.set(time.Now(), float64(pending))
	indexLag.Lock()
	defer indexLag.Unlock()
	indexLag.oldest, indexLag.pending = oldest, int64(pending)
	if pending == 0 {
		indexLag.oldest = time.Time{}
	}
}

// IndexLagAge is the age of the oldest pending marker, or 0.
func IndexLagAge() time.Duration {
	indexLag.Lock()
	defer indexLag.Unlock()
	if indexLag.oldest.IsZero() {
		return 0
	}
	return time.Since(indexLag.oldest)
}
