package systemsvc

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/observe"
)

// fleet reads the summary of every sidecar from a Prometheus that scrapes them, with the same figures the
// local summary has, computed by PromQL over the metrics docs/observability.md lists.
type fleet struct {
	base   string
	client *http.Client
}

func newFleet(prometheusURL string) *fleet {
	return &fleet{base: strings.TrimRight(prometheusURL, "/"), client: &http.Client{Transport: observe.HTTPTransport(nil), Timeout: 10 * time.Second}}
}

// serverFaults are the outcome and code label values counted as errors (server-side failures).
const (
	faultOutcomes = `outcome=~"internal|unknown|data_loss|unavailable|deadline_exceeded|resource_exhausted"`
	faultCodes    = `code=~"Internal|Unknown|DataLoss|Unavailable|DeadlineExceeded|ResourceExhausted"`
)

func (f *fleet) summary(ctx context.Context, window time.Duration) (*kamldv1.MetricsSummary, error) {
	if f.base == "" {
		return nil, apierr.New(codes.FailedPrecondition, kamldv1.ErrorReason_ERROR_REASON_NO_PROMETHEUS, "no Prometheus is configured: set observe.prometheus_url (KAMLD_OBSERVE_PROMETHEUS_URL) for the fleet view")
	}
	w := fmt.Sprintf("[%ds]", int(window/time.Second))
	q := func(expr string) (map[string]float64, error) { return f.query(ctx, expr) }
	out := &kamldv1.MetricsSummary{WindowSeconds: int32(window / time.Second), Source: sourcePrometheus}

	bk := "kamld_backend_operation_duration_seconds"
	counts, err := q(`sum by (backend) (increase(` + bk + `_count` + w + `))`)
	if err != nil {
		return nil, err
	}
	errs, err := q(`sum by (backend) (increase(` + bk + `_count{` + faultOutcomes + `}` + w + `))`)
	if err != nil {
		return nil, err
	}
	p50, err := q(`histogram_quantile(0.5, sum by (backend, le) (rate(` + bk + `_bucket` + w + `)))`)
	if err != nil {
		return nil, err
	}
	p99, err := q(`histogram_quantile(0.99, sum by (backend, le) (rate(` + bk + `_bucket` + w + `)))`)
	if err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		out.Backends = append(out.Backends, &kamldv1.BackendMetrics{Backend: name, Calls: &kamldv1.CallStats{
			Count: int64(counts[name]), Errors: int64(errs[name]), Rate: counts[name] / window.Seconds(),
			P50Seconds: finite(p50[name]), P99Seconds: finite(p99[name]),
		}})
	}

	rpc := &kamldv1.CallStats{}
	scalars := []struct {
		expr string
		set  func(float64)
	}{
		{`sum(increase(kamld_rpc_handled_total` + w + `))`, func(v float64) { rpc.Count = int64(v); rpc.Rate = v / window.Seconds() }},
		{`sum(increase(kamld_rpc_handled_total{` + faultCodes + `}` + w + `))`, func(v float64) { rpc.Errors = int64(v) }},
		{`histogram_quantile(0.5, sum by (le) (rate(kamld_rpc_duration_seconds_bucket` + w + `)))`, func(v float64) { rpc.P50Seconds = finite(v) }},
		{`histogram_quantile(0.99, sum by (le) (rate(kamld_rpc_duration_seconds_bucket` + w + `)))`, func(v float64) { rpc.P99Seconds = finite(v) }},
		{`max(kamld_storage_used_bytes)`, func(v float64) { out.StorageUsedBytes = int64(v) }},
		{`max(kamld_index_pending_markers)`, func(v float64) { out.IndexPendingMarkers = int64(v) }},
		{`max(kamld_index_oldest_pending_seconds)`, func(v float64) { out.IndexLagSeconds = v }},
	}
	for _, sc := range scalars {
		m, err := q(sc.expr)
		if err != nil {
			return nil, err
		}
		if v, ok := m[""]; ok {
			sc.set(v)
		}
	}
	out.Rpcs = rpc
	jobs, err := q(`sum by (state) (increase(kamld_job_transitions_total` + w + `))`)
	if err != nil {
		return nil, err
	}
	out.JobTransitions = map[string]int64{}
	for state, v := range jobs {
		out.JobTransitions[state] = int64(v)
	}
	if err := f.addSeries(ctx, out, window); err != nil {
		return nil, err
	}
	return out, nil
}

// promResponse is the part of Prometheus's /api/v1/query answer we read: an instant vector.
type promResponse struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// query runs an instant query and returns its samples keyed by the one grouping label's value ("" when the
// result has no labels).
func (f *fleet) query(ctx context.Context, expr string) (map[string]float64, error) {
	var pr promResponse
	if err := f.get(ctx, "/api/v1/query", url.Values{"query": {expr}}, &pr.Status, &pr.Error, &pr); err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, r := range pr.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err == nil {
			out[groupKey(r.Metric)] = v
		}
	}
	return out, nil
}

// get asks Prometheus's HTTP API and decodes the answer into out, whose status and error fields the caller
// points at: an unreachable Prometheus or one that does not answer "success" is UNAVAILABLE.
func (f *fleet) get(ctx context.Context, path string, q url.Values, status, message *string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.base+path+"?"+q.Encode(), nil)
	if err != nil {
		return apierr.New(codes.FailedPrecondition, kamldv1.ErrorReason_ERROR_REASON_BAD_PROMETHEUS_URL, "observe.prometheus_url: %v", err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return fmt.Errorf("prometheus at %s: %w", f.base, apierr.ErrUnavailable)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil || *status != "success" {
		return fmt.Errorf("prometheus at %s answered %s %s: %w", f.base, resp.Status, *message, apierr.ErrUnavailable)
	}
	return nil
}

// groupKey is the value of a result's one grouping label, "" when it has none.
func groupKey(metric map[string]string) string {
	key := ""
	for _, v := range metric {
		key = v
	}
	return key
}

// finite turns NaN (a quantile over no data) into 0, which JSON and proto clients can show.
func finite(v float64) float64 {
	if v != v {
		return 0
	}
	return v
}
