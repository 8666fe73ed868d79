package apierr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

func TestSentinelsMapToCodes(t *testing.T) {
	for err, want := range map[error]codes.Code{
		fmt.Errorf("dataset %q: %w", "iris", ErrNotFound): codes.NotFound,
		fmt.Errorf("x: %w", ErrAlreadyExists):             codes.AlreadyExists,
		fmt.Errorf("x: %w", ErrAborted):                   codes.Aborted,
		fmt.Errorf("x: %w", ErrUnavailable):               codes.Unavailable,
		fmt.Errorf("x: %w", context.DeadlineExceeded):     codes.DeadlineExceeded,
		errors.New("some internal detail /etc/passwd"):    codes.Internal,
	} {
		assert.Equal(t, want, Code(err), err.Error())
	}
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	st := Status(errors.New("open /secret/path: permission denied"))
	assert.Equal(t, "internal error", st.Message())
}

func TestWrappedMessageIsKept(t *testing.T) {
	st := Status(fmt.Errorf("dataset %q: %w", "iris", ErrNotFound))
	assert.Equal(t, `dataset "iris": not found`, st.Message())
	info := st.Details()[0].(*errdetails.ErrorInfo)
	assert.Equal(t, "NOT_FOUND", info.GetReason())
	assert.Equal(t, Domain, info.GetDomain())
}

func TestInvalidArgumentCarriesFieldViolations(t *testing.T) {
	err := InvalidArguments([]FieldViolation{{"name", "too long"}, {"page_size", "negative"}})
	st := Status(err)
	require.Equal(t, codes.InvalidArgument, st.Code())
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		if b, ok := d.(*errdetails.BadRequest); ok {
			br = b
		}
	}
	require.NotNil(t, br)
	assert.Len(t, br.GetFieldViolations(), 2)
	assert.NoError(t, InvalidArguments(nil))
}

func TestStatusPassesThrough(t *testing.T) {
	assert.Equal(t, codes.PermissionDenied, Code(status.Error(codes.PermissionDenied, "no")))
}

func TestRESTBodyTooLargeIs413(t *testing.T) {
	rec := httptest.NewRecorder()
	ErrorHandler(context.Background(), nil, nil, rec, httptest.NewRequest("POST", "/", nil), &http.MaxBytesError{Limit: 10})
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.Contains(t, rec.Body.String(), `"code":8`)
}

// TestWireReasons: every declared reason goes on the wire as its name without the enum prefix, and the reasons
// of plain codes are the strings they were before the enum existed.
func TestWireReasons(t *testing.T) {
	for v, name := range kamldv1.ErrorReason_name {
		r := kamldv1.ErrorReason(v)
		wire := Wire(r)
		assert.Equal(t, strings.TrimPrefix(name, "ERROR_REASON_"), wire)
		assert.NotContains(t, wire, "ERROR_REASON", name)
		assert.Equal(t, r, ParseWire(wire), name)
	}
	assert.Equal(t, kamldv1.ErrorReason_ERROR_REASON_UNSPECIFIED, ParseWire("NO_SUCH_REASON"))
	for code, want := range map[codes.Code]string{
		codes.InvalidArgument: "INVALID_ARGUMENT", codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
		codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED", codes.Unavailable: "UNAVAILABLE",
		codes.Unauthenticated: "UNAUTHENTICATED", codes.PermissionDenied: "PERMISSION_DENIED",
		codes.ResourceExhausted: "RESOURCE_EXHAUSTED", codes.Unimplemented: "UNIMPLEMENTED",
		codes.DeadlineExceeded: "DEADLINE_EXCEEDED", codes.Canceled: "CANCELLED", codes.DataLoss: "DATA_LOSS",
		codes.OutOfRange: "OUT_OF_RANGE", codes.Internal: "INTERNAL", codes.Unknown: "INTERNAL",
	} {
		info := Status(&Error{Code: code, Message: "m"}).Details()[0].(*errdetails.ErrorInfo)
		assert.Equal(t, want, info.GetReason(), code.String())
	}
	info := Status(New(codes.Unauthenticated, kamldv1.ErrorReason_ERROR_REASON_TOKEN_INVALID, "x")).Details()[0].(*errdetails.ErrorInfo)
	assert.Equal(t, "TOKEN_INVALID", info.GetReason())
}
