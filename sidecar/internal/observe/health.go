package observe

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// clientError reports errors that say something about the request, not about the backend's health: a missing
// object, a lost compare-and-swap, a bad argument, a cancelled call.
func clientError(err error) bool {
	if errors.Is(err, context.Canceled) {
		return true
	}
	switch apierr.Code(err) {
	case codes.NotFound, codes.AlreadyExists, codes.Aborted, codes.InvalidArgument, codes.FailedPrecondition,
		codes.OutOfRange, codes.Canceled, codes.PermissionDenied, codes.Unauthenticated:
		return true
	}
	return false
}

// secrets are what must not leave the sidecar in an error message, each with its replacement: credentials in
// URLs (scheme://user:pass@host), bearer tokens, and key=value or "key": "value" pairs whose key names a secret.
var secrets = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`://[^/@\s:]+:[^/@\s]+@`), "://REDACTED@"},
	{regexp.MustCompile(`(?i)\b(bearer|basic)\s+[^\s"',;]+`), "$1 REDACTED"},
	{regexp.MustCompile(`(?i)\b((?:password|passwd|secret|token|access[_-]?key|secret[_-]?key|signature|credential)[a-z_-]*["']?\s*[=:]\s*["']?)[^\s"'&,;]+`), "${1}REDACTED"},
}

// Redact removes credentials from an error message before it is shown or kept.
func Redact(msg string) string {
	for _, s := range secrets {
		msg = s.re.ReplaceAllString(msg, s.with)
	}
	return msg
}

// Health is one backend's health history as this sidecar saw it.
type Health struct {
	// DegradedSince is when the current run of failed checks began (zero when healthy).
	DegradedSince time.Time
	// Failures counts failed checks since the process started.
	Failures int64
	// LastError is the last failed check's error, redacted (empty if none yet).
	LastError string
	// LastErrorTime is when it happened.
	LastErrorTime time.Time
}

// HealthHistory records health check results per capability.
type HealthHistory struct {
	mu  sync.Mutex
	by  map[string]*Health
	now func() time.Time
}

// NewHealthHistory returns an empty history.
func NewHealthHistory() *HealthHistory {
	return &HealthHistory{by: map[string]*Health{}, now: time.Now}
}

// Record notes the result of one check of capability's backend.
func (h *HealthHistory) Record(capability string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.by[capability]
	if e == nil {
		e = &Health{}
		h.by[capability] = e
	}
	if err == nil {
		e.DegradedSince = time.Time{}
		return
	}
	now := h.now()
	if e.DegradedSince.IsZero() {
		e.DegradedSince = now
	}
	e.Failures++
	e.LastError, e.LastErrorTime = Redact(err.Error()), now
}

// Get returns capability's history.
func (h *HealthHistory) Get(capability string) Health {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.by[capability]; e != nil {
		return *e
	}
	return Health{}
}
