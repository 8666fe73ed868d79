package systemsvc

import (
	"context"
	"maps"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/observe"
)

const (
	sourceLocal      = "local"
	sourcePrometheus = "prometheus"
	maxWindow        = time.Hour
)

// GetMetricsSummary implements kamld.v1.SystemService.
func (s *Service) GetMetricsSummary(ctx context.Context, req *kamldv1.GetMetricsSummaryRequest) (*kamldv1.MetricsSummary, error) {
	window := maxWindow
	if w := req.GetWindowSeconds(); w != 0 {
		window = time.Duration(w) * time.Second
		if w < 0 || window > maxWindow {
			return nil, apierr.InvalidArgument("window_seconds", "%d is outside 0..3600", w)
		}
		window = max(window, time.Minute) // the window is kept per minute: less than one reads as one
	}
	switch req.GetSource() {
	case "", sourceLocal:
		return localSummary(window), nil
	case sourcePrometheus:
		return s.fleet.summary(ctx, window)
	}
	return nil, apierr.InvalidArgument("source", "%q is not %q or %q", req.GetSource(), sourceLocal, sourcePrometheus)
}

// localSummary reads the window this process keeps in memory (observe.Summarize).
func localSummary(window time.Duration) *kamldv1.MetricsSummary {
	sum := observe.Summarize(window)
	out := &kamldv1.MetricsSummary{
		WindowSeconds:       int32(window / time.Second),
		Source:              sourceLocal,
		Rpcs:                callStats(sum.RPCs, window),
		JobTransitions:      sum.Jobs,
		StorageUsedBytes:    observe.StorageUsedBytes(),
		IndexPendingMarkers: observe.IndexPending(),
		IndexLagSeconds:     observe.IndexLagAge().Seconds(),
		JobMinutes:          minutesProto(sum.JobsEnded),
		StorageUsedHistory:  gaugeProto(sum.Storage),
		IndexPendingHistory: gaugeProto(sum.IndexPending),
	}
	for _, name := range slices.Sorted(maps.Keys(sum.Backends)) {
		out.Backends = append(out.Backends, &kamldv1.BackendMetrics{Backend: name, Calls: callStats(sum.Backends[name], window)})
	}
	for _, f := range sum.Failures {
		out.Failures = append(out.Failures, &kamldv1.RecentFailure{
			Time: timestamppb.New(f.Time), Source: f.Source, Operation: f.Operation, Code: f.Code,
			RequestId: f.RequestID, Message: f.Message,
		})
	}
	return out
}

func callStats(st observe.Stats, window time.Duration) *kamldv1.CallStats {
	return &kamldv1.CallStats{
		Count: st.Count, Errors: st.Errors, Rate: float64(st.Count) / window.Seconds(),
		P50Seconds: st.P50.Seconds(), P99Seconds: st.P99.Seconds(), Minutes: minutesProto(st.Minutes),
	}
}

func minutesProto(ms []observe.Minute) []*kamldv1.MinuteStats {
	out := make([]*kamldv1.MinuteStats, len(ms))
	for i, m := range ms {
		out[i] = &kamldv1.MinuteStats{
			Start: timestamppb.New(m.Start), Count: m.Count, Errors: m.Errors,
			P50Seconds: m.P50.Seconds(), P99Seconds: m.P99.Seconds(),
		}
	}
	return out
}

func gaugeProto(ps []observe.GaugePoint) []*kamldv1.GaugePoint {
	out := make([]*kamldv1.GaugePoint, len(ps))
	for i, p := range ps {
		out[i] = &kamldv1.GaugePoint{Time: timestamppb.New(p.Time), Value: p.Value}
	}
	return out
}
