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

func TestLogHandlerAddsRequestID(t *testing.T) {
	var b strings.Builder
	log := slog.New(LogHandler(slog.NewTextHandler(&b, nil)))
	log.InfoContext(WithRequestID(context.Background(), "req-42"), "hello")
	require.Contains(t, b.String(), "request_id=req-42")
	b.Reset()
	log.InfoContext(WithRequestID(context.Background(), "req-42"), "hello", "request_id", "req-42")
	assert.Equal(t, 1, strings.Count(b.String(), "request_id"), "not twice")
}
