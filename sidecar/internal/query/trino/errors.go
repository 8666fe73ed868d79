package trino

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"syscall"

	"github.com/trinodb/trino-go-client/trino"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/query"
)

// rename maps the names the engine saw back to the names the user wrote, for error messages: registered
// schema → "iris@v3".
type rename struct{ from, to string }

// leadingPosition is the "line 1:8: " Trino puts before a message that has a location.
var leadingPosition = regexp.MustCompile(`^line \d+:\d+: `)

// mapError turns an error of the driver into kamld's: user errors in the statement → a *query.SQLError at the
// position in the client's text (rw maps the engine's back) in the client's names; the query's context →
// its error (DEADLINE_EXCEEDED or CANCELLED); an unreachable coordinator → UNAVAILABLE; resource limits →
// RESOURCE_EXHAUSTED. Anything else stays internal (the server logs it, the client sees INTERNAL).
func mapError(ctx context.Context, err error, rw *query.Rewritten, names []rename) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr // the query was stopped because the caller gave up; the engine's answer is moot
	}
	if errors.Is(err, trino.ErrQueryCancelled) {
		return context.Canceled
	}
	var te *trino.ErrTrino
	if errors.As(err, &te) {
		msg := leadingPosition.ReplaceAllString(te.Message, "")
		for _, n := range names {
			msg = strings.ReplaceAll(msg, n.from, n.to)
		}
		switch {
		case te.ErrorName == "EXCEEDED_TIME_LIMIT":
			return fmt.Errorf("the engine's time limit: %s: %w", msg, context.DeadlineExceeded)
		case te.ErrorType == "INSUFFICIENT_RESOURCES":
			return fmt.Errorf("%s: %w", msg, apierr.ErrResourceExhausted)
		case te.ErrorType == "USER_ERROR" && rw != nil:
			pos := -1
			if l, c := te.ErrorLocation.LineNumber, te.ErrorLocation.ColumnNumber; l > 0 {
				pos = offsetOf(rw.SQL, l, c)
			}
			se := rw.SQLError(pos, msg)
			se.Msg = leadingPosition.ReplaceAllString(se.Msg, "")
			return se
		case te.ErrorType == "USER_ERROR":
			return apierr.InvalidArgument("sql", "%s", msg)
		}
		return fmt.Errorf("trino: %s (%s)", msg, te.ErrorName)
	}
	if isUnreachable(err) {
		return fmt.Errorf("trino is unreachable: %v: %w", err, apierr.ErrUnavailable)
	}
	return err
}

func isUnreachable(err error) bool {
	var ne net.Error
	var qf *trino.ErrQueryFailed
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &ne):
		return true
	case errors.As(err, &qf):
		return qf.StatusCode == 502 || qf.StatusCode == 503 || qf.StatusCode == 504
	}
	return false
}
