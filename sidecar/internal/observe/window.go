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

// Stats is one series over the window: totals and latency quantiles from the samples.
type Stats struct {
	Count, Errors int64
	P50, P99      time.Duration
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
	first := now.Add(-window).Unix() / 60
	var st Stats
	var all []time.Duration
	for i := range s.slots {
		sl := &s.slots[i]
		if sl.minute < first || sl.minute > now.Unix()/60 {
			continue
		}
		st.Count += sl.count
		st.Errors += sl.errors
		all = append(all, sl.samples...)
	}
	if len(all) > 0 {
		slices.Sort(all)
		st.P50 = all[len(all)*50/100]
		st.P99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return st
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
	Failures []Failure        // newest last
}

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
	for state, se := range recent.jobs {
		s.Jobs[state] = se.stats(now, window).Count
	}
	for _, f := range recent.failures {
		if now.Sub(f.Time) <= window {
			s.Failures = append(s.Failures, f)
		}
	}
	return s
}
