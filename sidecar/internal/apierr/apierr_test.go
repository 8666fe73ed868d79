package apierr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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
