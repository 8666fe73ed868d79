package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

func TestOutcome(t *testing.T) {
	assert.Equal(t, "ok", Outcome(nil))
	assert.Equal(t, "not_found", Outcome(fmt.Errorf("x: %w", apierr.ErrNotFound)))
	assert.Equal(t, "unavailable", Outcome(fmt.Errorf("x: %w", apierr.ErrUnavailable)))
	assert.Equal(t, "canceled", Outcome(context.Canceled))
	assert.Equal(t, "deadline_exceeded", Outcome(context.DeadlineExceeded))
	assert.Equal(t, "internal", Outcome(errors.New("plain")), "what apierr makes of an unclassified error")
	assert.Equal(t, "failed_precondition", codeLabel("FailedPrecondition"))
}

func TestRedact(t *testing.T) {
	for in, leak := range map[string]string{
		`Get "http://elastic:s3cr3t@127.0.0.1:9200/": dial tcp: refused`: "s3cr3t",
		`signature=abcdef0123 mismatch`:                                  "abcdef0123",
		`config: password: hunter2`:                                      "hunter2",
		`{"secret_key": "AKIAXYZ"}`:                                      "AKIAXYZ",
		`Authorization: Bearer tok123`:                                   "tok123",
	} {
		out := Redact(in)
		assert.NotContains(t, out, leak, in)
		assert.Contains(t, out, "REDACTED", in)
	}
	assert.Equal(t, "dial tcp 127.0.0.1:9000: connection refused", Redact("dial tcp 127.0.0.1:9000: connection refused"))
}

func TestHealthHistory(t *testing.T) {
	h := NewHealthHistory()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h.now = func() time.Time { return now }
	h.Record("index", nil)
	assert.Equal(t, Health{}, h.Get("index"))
	h.Record("index", errors.New("dial http://u:pw@es:9200 refused"))
	now = now.Add(time.Minute)
	h.Record("index", errors.New("still down"))
	g := h.Get("index")
	assert.Equal(t, now.Add(-time.Minute), g.DegradedSince, "since the first failure of the run")
	assert.EqualValues(t, 2, g.Failures)
	assert.Equal(t, "still down", g.LastError)
	h.Record("index", nil)
	g = h.Get("index")
	assert.True(t, g.DegradedSince.IsZero())
	assert.EqualValues(t, 2, g.Failures, "the count is kept after recovery")
	assert.Equal(t, "still down", g.LastError)
}

func TestWindowQuantiles(t *testing.T) {
	var s series
	now := time.Now()
	for i := 1; i <= 100; i++ {
		s.add(now, time.Duration(i)*time.Millisecond, i > 95)
	}
	st := s.stats(now, time.Hour)
	assert.EqualValues(t, 100, st.Count)
	assert.EqualValues(t, 5, st.Errors)
	assert.Equal(t, 51*time.Millisecond, st.P50)
	assert.Equal(t, 100*time.Millisecond, st.P99)
	// An hour later the slot is outside the window.
	assert.Zero(t, s.stats(now.Add(2*time.Hour), time.Hour).Count)
}

func TestWindowMinutes(t *testing.T) {
	var s series
	now := time.Date(2026, 1, 2, 3, 30, 10, 0, time.UTC)
	s.add(now.Add(-10*time.Minute), 4*time.Millisecond, true)
	s.add(now, 2*time.Millisecond, false)
	st := s.stats(now, 15*time.Minute)
	require.Len(t, st.Minutes, 15, "every minute of the window, empty ones too")
	assert.Equal(t, now.Truncate(time.Minute), st.Minutes[14].Start, "oldest first, the current minute last")
	assert.EqualValues(t, 1, st.Minutes[14].Count)
	assert.Equal(t, 2*time.Millisecond, st.Minutes[14].P99)
	assert.Equal(t, Minute{Start: now.Truncate(time.Minute).Add(-10 * time.Minute), Count: 1, Errors: 1, P50: 4 * time.Millisecond, P99: 4 * time.Millisecond}, st.Minutes[4])
	assert.Zero(t, st.Minutes[5].Count)
}

func TestGaugeHistoryCarriesValuesForward(t *testing.T) {
	var g gauge
	now := time.Date(2026, 1, 2, 3, 30, 10, 0, time.UTC)
	assert.Equal(t, 7.0, g.history(now, 5*time.Minute, 7)[0].Value, "never set in the window: the current value throughout")
	g.set(now.Add(-3*time.Minute), 100)
	g.set(now.Add(-1*time.Minute), 250)
	var values []float64
	for _, p := range g.history(now, 5*time.Minute, 250) {
		values = append(values, p.Value)
	}
	assert.Equal(t, []float64{0, 100, 100, 250, 250}, values)
}

func TestLogHandlerAddsRequestID(t *testing.T) {
	var b strings.Builder
	log := slog.New(LogHandler(slog.NewTextHandler(&b, nil)))
	log.InfoContext(WithRequestID(context.Background(), "req-42"), "hello")
	require.Contains(t, b.String(), "request_id=req-42")
	b.Reset()
	log.InfoContext(WithRequestID(context.Background(), "req-42"), "hello", "request_id", "req-42")
	assert.Equal(t, 1, strings.Count(b.String(), "request_id"), "not twice")
}
