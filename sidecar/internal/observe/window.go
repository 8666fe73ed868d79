package observe

import (
	"slices"
	"sync"
	"time"
)

// The sidecar keeps the last hour of its own activity in memory, per minute, so that GetMetricsSummary can
// answer without a Prometheus: counts, errors and a bounded sample of latencies per backend and for RPCs, job
// transitions, and the most recent failures. Memory is bounded: windowMinutes slots × a fixed sample size.
const (
	windowMinutes  = 60
	samplesPerSlot = 256
	keptFailures   = 20
)

// Stats is one series over the window: totals and latency quantiles from the samples, and the same per minute
// (oldest first, every minute of the window, empty ones as zeros) for the Platform view's small charts.
type Stats struct {
	Count, Errors int64
	P50, P99      time.Duration
	Minutes       []Minute
}

// Minute is one minute of a series.
type Minute struct {
	Start         time.Time
	Count, Errors int64
	P50, P99      time.Duration
}

// quantiles returns the 50th and 99th percentiles of sorted.
func quantiles(sorted []time.Duration) (p50, p99 time.Duration) {
	if len(sorted) == 0 {
		return 0, 0
	}
	return sorted[len(sorted)*50/100], sorted[min(len(sorted)-1, len(sorted)*99/100)]
}

// minutesOf lists the minutes of the window ending at now, oldest first.
func minutesOf(now time.Time, window time.Duration) []int64 {
	last := now.Unix() / 60
	first := now.Add(-window).Unix()/60 + 1
	out := make([]int64, 0, last-first+1)
	for m := first; m <= last; m++ {
		out = append(out, m)
	}
	return out
}

// slot is one minute of one series.
type slot struct {
	minute        int64
	count, errors int64
	samples       []time.Duration
}

type series struct{ slots [windowMinutes]slot }

func (s *series) add(now time.Time, d time.Duration, failed bool) {
	m := now.Unix() / 60
	sl := &s.slots[m%windowMinutes]
	if sl.minute != m {
		*sl = slot{minute: m, samples: sl.samples[:0]}
	}
	sl.count++
	if failed {
		sl.errors++
	}
	if len(sl.samples) < samplesPerSlot {
		sl.samples = append(sl.samples, d)
	} else { // overwrite in turn, so the sample spreads over the whole minute
		sl.samples[sl.count%samplesPerSlot] = d
	}
}

func (s *series) stats(now time.Time, window time.Duration) Stats {
	var st Stats
	var all []time.Duration
	for _, m := range minutesOf(now, window) {
		min := Minute{Start: time.Unix(m*60, 0).UTC()}
		if sl := &s.slots[m%windowMinutes]; sl.minute == m {
			st.Count += sl.count
			st.Errors += sl.errors
			all = append(all, sl.samples...)
			min.Count, min.Errors = sl.count, sl.errors
			min.P50, min.P99 = quantiles(slices.Sorted(slices.Values(sl.samples)))
		}
		st.Minutes = append(st.Minutes, min)
	}
	slices.Sort(all)
	st.P50, st.P99 = quantiles(all)
	return st
}

// gauge keeps the last value set in each minute of the window, for the history of a gauge.
type gauge struct {
	mu    sync.Mutex
	slots [windowMinutes]struct {
		minute int64
		value  float64
	}
}

func (g *gauge) set(now time.Time, v float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := now.Unix() / 60
	g.slots[m%windowMinutes].minute, g.slots[m%windowMinutes].value = m, v
}

// GaugePoint is a gauge's value at the end of one minute.
type GaugePoint struct {
	Time  time.Time
	Value float64
}

// history returns the gauge at the end of every minute of the window, oldest first; a minute in which it was
// not set carries the value before it (current for the minutes after the last set, 0 before the first).
func (g *gauge) history(now time.Time, window time.Duration, current float64) []GaugePoint {
	g.mu.Lock()
	defer g.mu.Unlock()
	minutes := minutesOf(now, window)
	out := make([]GaugePoint, len(minutes))
	v, known := 0.0, false
	for i, m := range minutes {
		if sl := g.slots[m%windowMinutes]; sl.minute == m {
			v, known = sl.value, true
		}
		out[i] = GaugePoint{Time: time.Unix((m+1)*60, 0).UTC(), Value: v}
	}
	if !known { // never set in the window: the value held all along
		for i := range out {
			out[i].Value = current
		}
	}
	return out
}

// Failure is one recent failed call.
type Failure struct {
	Time      time.Time
	Source    string // "rpc" or "backend"
	Operation string // the RPC method or backend/operation
	Code      string
	RequestID string
	Message   string
}

type window struct {
	mu       sync.Mutex
	backends map[string]*series // by backend name
	rpcs     series
	jobs     map[string]*series // by state
	failures []Failure
}

var recent = &window{backends: map[string]*series{}, jobs: map[string]*series{}}

// The histories of the storage and index-lag gauges, set with them (domain.go).
var storageHistory, pendingHistory gauge

func (w *window) seriesOf(m map[string]*series, key string) *series {
	s := m[key]
	if s == nil {
		s = &series{}
		m[key] = s
	}
	return s
}

func (w *window) add(backend, operation string, d time.Duration, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	w.seriesOf(w.backends, backend).add(now, d, err != nil && !clientError(err))
	if err != nil && !clientError(err) {
		w.fail(Failure{Time: now, Source: "backend", Operation: backend + "/" + operation, Code: Outcome(err), Message: Redact(err.Error())})
	}
}

func (w *window) fail(f Failure) {
	w.failures = append(w.failures, f)
	if len(w.failures) > keptFailures {
		w.failures = slices.Delete(w.failures, 0, len(w.failures)-keptFailures)
	}
}

func recordJob(state, _ string) {
	recent.mu.Lock()
	defer recent.mu.Unlock()
	recent.seriesOf(recent.jobs, state).add(time.Now(), 0, state == "failed")
}

// RPCDone records one finished RPC for the in-memory window; failed calls with a server-side code are kept
// among the recent failures with their request id.
func RPCDone(method, code string, d time.Duration, requestID, message string, serverFault bool) {
	recent.mu.Lock()
	defer recent.mu.Unlock()
	now := time.Now()
	recent.rpcs.add(now, d, serverFault)
	if serverFault {
		recent.fail(Failure{Time: now, Source: "rpc", Operation: method, Code: code, RequestID: requestID, Message: Redact(message)})
	}
}

// Summary is the window's content.
type Summary struct {
	Backends map[string]Stats
	RPCs     Stats
	Jobs     map[string]int64 // transitions into each state
	// JobsEnded counts per minute the jobs that ended (succeeded, failed or cancelled); Errors the failed.
	JobsEnded    []Minute
	Storage      []GaugePoint // bytes used, per minute
	IndexPending []GaugePoint // markers pending, per minute
	Failures     []Failure    // newest last
}

// endStates are the states a job ends in, for JobsEnded.
var endStates = []string{"succeeded", "failed", "cancelled"}

// Summarize returns the activity of the last window (at most an hour).
func Summarize(window time.Duration) Summary {
	window = min(window, windowMinutes*time.Minute)
	recent.mu.Lock()
	defer recent.mu.Unlock()
	now := time.Now()
	s := Summary{Backends: map[string]Stats{}, Jobs: map[string]int64{}, RPCs: recent.rpcs.stats(now, window)}
	for name, se := range recent.backends {
		s.Backends[name] = se.stats(now, window)
	}
	for _, m := range minutesOf(now, window) {
		s.JobsEnded = append(s.JobsEnded, Minute{Start: time.Unix(m*60, 0).UTC()})
	}
	for state, se := range recent.jobs {
		st := se.stats(now, window)
		s.Jobs[state] = st.Count
		if slices.Contains(endStates, state) {
			for i, m := range st.Minutes {
				s.JobsEnded[i].Count += m.Count
				s.JobsEnded[i].Errors += m.Errors
			}
		}
	}
	s.Storage = storageHistory.history(now, window, float64(StorageUsedBytes()))
	s.IndexPending = pendingHistory.history(now, window, float64(IndexPending()))
	for _, f := range recent.failures {
		if now.Sub(f.Time) <= window {
			s.Failures = append(s.Failures, f)
		}
	}
	return s
}
