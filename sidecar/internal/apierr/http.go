package apierr

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// HTTPStatus maps a gRPC code to the REST status with grpc-gateway's table (Google's mapping: NOT_FOUND 404,
// ABORTED 409, FAILED_PRECONDITION 400, CANCELLED 499, …). The exceptions are made where the status is
// written: a path served with another method is 405 (RoutingErrorHandler), an oversized body 413 (WriteStatus).
func HTTPStatus(c codes.Code) int {
	return runtime.HTTPStatusFromCode(c)
}

// ErrorHandler writes a status as a google.rpc.Status JSON body (the same JSON the gRPC status would decode
// to) with the mapped HTTP status. Decode errors from the gateway arrive as bare INVALID_ARGUMENT statuses;
// they get a BadRequest detail naming the field the JSON decoder complained about, and a body that was too
// large becomes RESOURCE_EXHAUSTED / 413.
func ErrorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	st := restStatus(err)
	if md, ok := runtime.ServerMetadataFromContext(ctx); ok {
		for _, v := range md.HeaderMD.Get("x-request-id") {
			w.Header().Set("X-Request-Id", v)
		}
	}
	WriteStatus(w, st)
}

// RoutingErrorHandler answers unknown paths with 404 and known paths with the wrong method with 405 and an
// Allow-less body; both as google.rpc.Status JSON.
func RoutingErrorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	switch httpStatus {
	case http.StatusMethodNotAllowed:
		writeStatusCode(w, http.StatusMethodNotAllowed, withDetails(&Error{
			Code: codes.Unimplemented, Reason: kamldv1.ErrorReason_ERROR_REASON_METHOD_NOT_ALLOWED,
			Message: "method " + r.Method + " is not allowed on " + r.URL.Path,
		}))
	case http.StatusNotFound:
		WriteStatus(w, withDetails(&Error{Code: codes.NotFound, Reason: kamldv1.ErrorReason_ERROR_REASON_ROUTE_NOT_FOUND, Message: "no route for " + r.Method + " " + r.URL.Path}))
	default:
		writeStatusCode(w, httpStatus, withDetails(&Error{Code: codes.InvalidArgument, Reason: kamldv1.ErrorReason_ERROR_REASON_BAD_REQUEST, Message: http.StatusText(httpStatus)}))
	}
}

// reasonHTTPStatus are the reasons whose REST status is more precise than the one their gRPC code maps to: a
// body over the size limit is RESOURCE_EXHAUSTED like an oversized gRPC message, but 413 rather than the 429
// that quotas and rate limits get; a Range outside the file is OUT_OF_RANGE, 416 on the raw download route; a
// known path with the wrong method is UNIMPLEMENTED, 405 rather than 501.
var reasonHTTPStatus = map[kamldv1.ErrorReason]int{
	kamldv1.ErrorReason_ERROR_REASON_REQUEST_TOO_LARGE:     http.StatusRequestEntityTooLarge,
	kamldv1.ErrorReason_ERROR_REASON_RANGE_NOT_SATISFIABLE: http.StatusRequestedRangeNotSatisfiable,
	kamldv1.ErrorReason_ERROR_REASON_METHOD_NOT_ALLOWED:    http.StatusMethodNotAllowed,
}

// WriteStatus writes st as JSON with its mapped HTTP status.
func WriteStatus(w http.ResponseWriter, st *status.Status) {
	code := HTTPStatus(st.Code())
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			if c, ok := reasonHTTPStatus[ParseWire(info.GetReason())]; ok {
				code = c
			}
		}
	}
	writeStatusCode(w, code, st)
}

func writeStatusCode(w http.ResponseWriter, httpStatus int, st *status.Status) {
	body, err := protojson.Marshal(st.Proto())
	if err != nil {
		body = []byte(`{"code":13,"message":"internal error"}`)
		httpStatus = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}

var (
	tooLarge       = regexp.MustCompile(`request body too large`)
	decoderField   = regexp.MustCompile(`(?:unknown field|invalid value for [a-z0-9 ]+ field|field) "?([A-Za-z0-9_.]+)"?`)
	protoJSONNoise = regexp.MustCompile(`^proto:\s*(\(line \d+:\d+\):\s*)?`)
)

// RESTStatus is the status ErrorHandler answers for err: for REST handlers beside the gateway that read and
// decode a request body themselves, so that their errors are the gateway's.
func RESTStatus(err error) *status.Status { return restStatus(err) }

func restStatus(err error) *status.Status {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return withDetails(&Error{Code: codes.ResourceExhausted, Reason: kamldv1.ErrorReason_ERROR_REASON_REQUEST_TOO_LARGE, Message: "request body is larger than the limit"})
	}
	st := Status(err)
	if st.Code() != codes.InvalidArgument || len(st.Details()) > 0 {
		return st
	}
	msg := st.Message()
	if tooLarge.MatchString(msg) {
		return withDetails(&Error{Code: codes.ResourceExhausted, Reason: kamldv1.ErrorReason_ERROR_REASON_REQUEST_TOO_LARGE, Message: "request body is larger than the limit"})
	}
	field := "body"
	if m := decoderField.FindStringSubmatch(msg); m != nil {
		field = m[1]
	}
	desc := protoJSONNoise.ReplaceAllString(msg, "")
	desc = strings.TrimSpace(desc)
	return withDetails(&Error{
		Code: codes.InvalidArgument, Reason: kamldv1.ErrorReason_ERROR_REASON_MALFORMED_REQUEST,
		Message:    "malformed request: " + desc,
		Violations: []FieldViolation{{Field: field, Description: desc}},
	})
}
