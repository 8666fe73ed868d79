package systemsvc

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// The fleet view's per-minute charts come from Prometheus range queries with a one-minute step over the
// window. Each point covers the minute before it and the last one ends now, so the current minute's calls
// show as they do in the local window.

// minuteGrid is the minutes of a window ending now: the first minute's start, and how many.
type minuteGrid struct {
	start time.Time
	n     int
}

func gridOf(now time.Time, window time.Duration) minuteGrid {
	n := max(1, int(window/time.Minute))
	return minuteGrid{start: now.Add(-time.Duration(n) * time.Minute).Truncate(time.Second), n: n}
}

// evalAt is when minute i is evaluated: its end.
func (g minuteGrid) evalAt(i int) time.Time { return g.start.Add(time.Duration(i+1) * time.Minute) }

// promRangeResponse is the part of Prometheus's /api/v1/query_range answer we read: a matrix.
type promRangeResponse struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

// queryRange runs expr at every minute of g and returns per grouping-label value ("" without labels) the
// values in grid order; a minute Prometheus has no sample for is 0.
func (f *fleet) queryRange(ctx context.Context, expr string, g minuteGrid) (map[string][]float64, error) {
	q := url.Values{"query": {expr}, "start": {unix(g.evalAt(0))}, "end": {unix(g.evalAt(g.n - 1))}, "step": {"60"}}
	var pr promRangeResponse
	if err := f.get(ctx, "/api/v1/query_range", q, &pr.Status, &pr.Error, &pr); err != nil {
		return nil, err
	}
	out := map[string][]float64{}
	for _, r := range pr.Data.Result {
		vals := make([]float64, g.n)
		for _, pt := range r.Values {
			at, _ := pt[0].(float64)
			s, _ := pt[1].(string)
			v, err := strconv.ParseFloat(s, 64)
			i := int(time.Unix(int64(at), 0).Sub(g.evalAt(0))+30*time.Second) / int(time.Minute)
			if err == nil && i >= 0 && i < g.n {
				vals[i] = finite(v)
			}
		}
		out[groupKey(r.Metric)] = vals
	}
	return out, nil
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// callSeries are the four per-minute series of calls, each keyed by the grouping label.
type callSeries struct{ count, errors, p50, p99 map[string][]float64 }

// rangeCalls reads per-minute counts, server-side errors and quantiles of a histogram, grouped by `by`
// ("" for one series), with errSel selecting the failed calls.
func (f *fleet) rangeCalls(ctx context.Context, g minuteGrid, count, bucket, by, errSel string) (callSeries, error) {
	group, groupLe := "sum", "sum by (le)"
	if by != "" {
		group, groupLe = "sum by ("+by+")", "sum by ("+by+", le)"
	}
	var cs callSeries
	for _, q := range []struct {
		expr string
		dst  *map[string][]float64
	}{
		{group + `(increase(` + count + `[1m]))`, &cs.count},
		{group + `(increase(` + count + `{` + errSel + `}[1m]))`, &cs.errors},
		{`histogram_quantile(0.5, ` + groupLe + ` (rate(` + bucket + `[1m])))`, &cs.p50},
		{`histogram_quantile(0.99, ` + groupLe + ` (rate(` + bucket + `[1m])))`, &cs.p99},
	} {
		m, err := f.queryRange(ctx, q.expr, g)
		if err != nil {
			return cs, err
		}
		*q.dst = m
	}
	return cs, nil
}

// minutes assembles the per-minute stats of one key.
func (cs callSeries) minutes(g minuteGrid, key string) []*kamldv1.MinuteStats {
	at := func(m map[string][]float64, i int) float64 {
		if v := m[key]; i < len(v) {
			return v[i]
		}
		return 0
	}
	out := make([]*kamldv1.MinuteStats, g.n)
	for i := range out {
		out[i] = &kamldv1.MinuteStats{
			Start: timestamppb.New(g.start.Add(time.Duration(i) * time.Minute)),
			Count: int64(at(cs.count, i)), Errors: int64(at(cs.errors, i)),
			P50Seconds: at(cs.p50, i), P99Seconds: at(cs.p99, i),
		}
	}
	return out
}

// gaugePoints turns one per-minute series into gauge points at the end of each minute.
func gaugePoints(g minuteGrid, vals []float64) []*kamldv1.GaugePoint {
	out := make([]*kamldv1.GaugePoint, g.n)
	for i := range out {
		v := 0.0
		if i < len(vals) {
			v = vals[i]
		}
		out[i] = &kamldv1.GaugePoint{Time: timestamppb.New(g.evalAt(i)), Value: v}
	}
	return out
}

// addSeries fills the per-minute parts of a fleet summary.
func (f *fleet) addSeries(ctx context.Context, out *kamldv1.MetricsSummary, window time.Duration) error {
	g := gridOf(time.Now(), window)
	bk := "kamld_backend_operation_duration_seconds"
	backends, err := f.rangeCalls(ctx, g, bk+"_count", bk+"_bucket", "backend", faultOutcomes)
	if err != nil {
		return err
	}
	for _, b := range out.Backends {
		b.Calls.Minutes = backends.minutes(g, b.Backend)
	}
	rpcs, err := f.rangeCalls(ctx, g, "kamld_rpc_handled_total", "kamld_rpc_duration_seconds_bucket", "", faultCodes)
	if err != nil {
		return err
	}
	out.Rpcs.Minutes = rpcs.minutes(g, "")
	ended := `kamld_job_transitions_total{state=~"succeeded|failed|cancelled"}`
	jobs := callSeries{p50: map[string][]float64{}, p99: map[string][]float64{}}
	for _, q := range []struct {
		expr string
		dst  *map[string][]float64
	}{
		{`sum(increase(` + ended + `[1m]))`, &jobs.count},
		{`sum(increase(kamld_job_transitions_total{state="failed"}[1m]))`, &jobs.errors},
	} {
		if *q.dst, err = f.queryRange(ctx, q.expr, g); err != nil {
			return err
		}
	}
	out.JobMinutes = jobs.minutes(g, "")
	for _, q := range []struct {
		expr string
		dst  *[]*kamldv1.GaugePoint
	}{
		{`max(kamld_storage_used_bytes)`, &out.StorageUsedHistory},
		{`max(kamld_index_pending_markers)`, &out.IndexPendingHistory},
	} {
		m, err := f.queryRange(ctx, q.expr, g)
		if err != nil {
			return err
		}
		*q.dst = gaugePoints(g, m[""])
	}
	return nil
}
