// Package apierr is the one place where kamld's errors become gRPC statuses and REST bodies.
//
// Domain code returns either one of the sentinel errors below (wrapped with context using %w), or an *Error
// built with the constructors, which can carry field violations. Nothing outside this package calls
// status.Error: the errors interceptor turns whatever a handler returns into a status with
// google.rpc.ErrorInfo (and google.rpc.BadRequest for invalid arguments), and the gateway's error handler
// turns that status into the REST response.
package apierr

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// Domain is the ErrorInfo domain of every kamld error.
const Domain = "kamld.dev"

// Sentinels for domain code: wrap them (fmt.Errorf("dataset %q: %w", id, apierr.ErrNotFound)) and the
// message of the wrapping error becomes the status message.
var (
	ErrNotFound           = errors.New("not found")
	ErrAlreadyExists      = errors.New("already exists")
	ErrFailedPrecondition = errors.New("failed precondition")
	ErrAborted            = errors.New("aborted: a concurrent change won the race")
	ErrUnavailable        = errors.New("backend unavailable")
	ErrUnauthenticated    = errors.New("unauthenticated")
	ErrPermissionDenied   = errors.New("permission denied")
	ErrResourceExhausted  = errors.New("resource exhausted")
	ErrUnimplemented      = errors.New("not implemented")
	ErrDataLoss           = errors.New("data loss")
	ErrOutOfRange         = errors.New("out of range")
)

var sentinelCodes = []struct {
	err  error
	code codes.Code
}{
	{ErrNotFound, codes.NotFound},
	{ErrAlreadyExists, codes.AlreadyExists},
	{ErrFailedPrecondition, codes.FailedPrecondition},
	{ErrAborted, codes.Aborted},
	{ErrUnavailable, codes.Unavailable},
	{ErrUnauthenticated, codes.Unauthenticated},
	{ErrPermissionDenied, codes.PermissionDenied},
	{ErrResourceExhausted, codes.ResourceExhausted},
	{ErrUnimplemented, codes.Unimplemented},
	{ErrDataLoss, codes.DataLoss},
	{ErrOutOfRange, codes.OutOfRange},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
	{context.Canceled, codes.Canceled},
}

// FieldViolation names a request field and what is wrong with it. Field uses the proto field path
// ("dataset.labels", "page_size").
type FieldViolation struct {
	Field       string
	Description string
}

// Error is an error with an explicit code, a machine-readable reason and optional field violations.
type Error struct {
	Code       codes.Code
	Reason     kamldv1.ErrorReason // ErrorInfo.reason (see Wire); unspecified: the code's own reason
	Message    string
	Violations []FieldViolation
	Metadata   map[string]string
	// Details are further error details (a MergeConflicts…), after the ErrorInfo and BadRequest.
	Details []protoadapt.MessageV1
	cause   error
}

func (e *Error) Error() string { return e.Message }

// Unwrap exposes the cause so errors.Is works through an *Error.
func (e *Error) Unwrap() error { return e.cause }

// InvalidArgument reports one bad field.
func InvalidArgument(field, format string, args ...any) *Error {
	desc := fmt.Sprintf(format, args...)
	return &Error{
		Code:       codes.InvalidArgument,
		Reason:     kamldv1.ErrorReason_ERROR_REASON_INVALID_ARGUMENT,
		Message:    fmt.Sprintf("invalid %s: %s", field, desc),
		Violations: []FieldViolation{{Field: field, Description: desc}},
	}
}

// InvalidArguments reports several bad fields at once; nil when there are none.
func InvalidArguments(violations []FieldViolation) error {
	switch len(violations) {
	case 0:
		return nil
	case 1:
		return InvalidArgument(violations[0].Field, "%s", violations[0].Description)
	}
	return &Error{
		Code:       codes.InvalidArgument,
		Reason:     kamldv1.ErrorReason_ERROR_REASON_INVALID_ARGUMENT,
		Message:    fmt.Sprintf("invalid %s: %s (and %d more)", violations[0].Field, violations[0].Description, len(violations)-1),
		Violations: violations,
	}
}

// New builds an error with a code and reason.
func New(code codes.Code, reason kamldv1.ErrorReason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Status converts any error into the status the client sees. Statuses pass through unchanged; unknown errors
// become INTERNAL with a generic message so internals never leak (the caller logs the original).
func Status(err error) *status.Status {
	if err == nil {
		return status.New(codes.OK, "")
	}
	var ae *Error
	if errors.As(err, &ae) {
		return withDetails(ae)
	}
	if st, ok := status.FromError(err); ok {
		return st
	}
	for _, s := range sentinelCodes {
		if errors.Is(err, s.err) {
			return withDetails(&Error{Code: s.code, Message: err.Error()})
		}
	}
	return withDetails(&Error{Code: codes.Internal, Message: "internal error"})
}

// Code is a shortcut for Status(err).Code().
func Code(err error) codes.Code { return Status(err).Code() }

func withDetails(e *Error) *status.Status {
	st := status.New(e.Code, e.Message)
	reason := e.Reason
	if reason == kamldv1.ErrorReason_ERROR_REASON_UNSPECIFIED {
		reason = reasonOf(e.Code)
	}
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: Wire(reason), Domain: Domain, Metadata: e.Metadata}}
	if len(e.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range e.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
		}
		details = append(details, br)
	}
	details = append(details, e.Details...)
	if withD, err := st.WithDetails(details...); err == nil {
		return withD
	}
	return st
}

// reasonPrefix is what the enum's value names carry and the wire does not (buf's ENUM_VALUE_PREFIX rule).
const reasonPrefix = "ERROR_REASON_"

// Wire is the ErrorInfo.reason string of r: its name without the prefix, "TOKEN_INVALID" for
// ERROR_REASON_TOKEN_INVALID.
func Wire(r kamldv1.ErrorReason) string { return strings.TrimPrefix(r.String(), reasonPrefix) }

// ParseWire is the reason whose wire string is s, or ERROR_REASON_UNSPECIFIED.
func ParseWire(s string) kamldv1.ErrorReason {
	return kamldv1.ErrorReason(kamldv1.ErrorReason_value[reasonPrefix+s])
}

// codeReasons are the reasons of errors with no more precise one.
var codeReasons = map[codes.Code]kamldv1.ErrorReason{
	codes.InvalidArgument:    kamldv1.ErrorReason_ERROR_REASON_INVALID_ARGUMENT,
	codes.NotFound:           kamldv1.ErrorReason_ERROR_REASON_NOT_FOUND,
	codes.AlreadyExists:      kamldv1.ErrorReason_ERROR_REASON_ALREADY_EXISTS,
	codes.FailedPrecondition: kamldv1.ErrorReason_ERROR_REASON_FAILED_PRECONDITION,
	codes.Aborted:            kamldv1.ErrorReason_ERROR_REASON_ABORTED,
	codes.Unavailable:        kamldv1.ErrorReason_ERROR_REASON_UNAVAILABLE,
	codes.Unauthenticated:    kamldv1.ErrorReason_ERROR_REASON_UNAUTHENTICATED,
	codes.PermissionDenied:   kamldv1.ErrorReason_ERROR_REASON_PERMISSION_DENIED,
	codes.ResourceExhausted:  kamldv1.ErrorReason_ERROR_REASON_RESOURCE_EXHAUSTED,
	codes.Unimplemented:      kamldv1.ErrorReason_ERROR_REASON_UNIMPLEMENTED,
	codes.DeadlineExceeded:   kamldv1.ErrorReason_ERROR_REASON_DEADLINE_EXCEEDED,
	codes.Canceled:           kamldv1.ErrorReason_ERROR_REASON_CANCELLED,
	codes.DataLoss:           kamldv1.ErrorReason_ERROR_REASON_DATA_LOSS,
	codes.OutOfRange:         kamldv1.ErrorReason_ERROR_REASON_OUT_OF_RANGE,
}

func reasonOf(c codes.Code) kamldv1.ErrorReason {
	if r, ok := codeReasons[c]; ok {
		return r
	}
	return kamldv1.ErrorReason_ERROR_REASON_INTERNAL
}
