// Package audit is kamld's audit log: one record per mutating call and per denied call, written to the blob
// store before the call is answered, in append-only segments that are never rewritten (docs/security.md).
//
// A record says who did what to which dataset with what outcome, from where; it never holds a credential,
// a request body or file contents.
package audit

import (
	"context"
	"time"
)

// Record is one audited call.
type Record struct {
	Time time.Time `json:"time"`
	// Subject is the caller's name ("" when the call was refused before its caller was known).
	Subject string   `json:"subject"`
	Groups  []string `json:"groups,omitempty"`
	// Kind is user, service or job ("" when unknown).
	Kind string `json:"kind,omitempty"`
	// Method is the full gRPC method ("/kamld.v1.DatasetService/CreateDataset"), or "HTTP <verb> <path>" for
	// a REST request refused before it became a call.
	Method string `json:"method"`
	// Resource is the dataset id the request names, if any.
	Resource string `json:"resource,omitempty"`
	// Outcome is the gRPC status code name (OK, PERMISSION_DENIED, ...); Reason its ErrorInfo reason.
	Outcome    string `json:"outcome"`
	Reason     string `json:"reason,omitempty"`
	RequestID  string `json:"request_id,omitempty"`
	ClientAddr string `json:"client_addr,omitempty"`
}

// Writer makes records durable.
//
// Contract: Write returns nil only once r is durable in the store (a later reader sees it, a restart keeps
// it); an error means r may not have been written, and the caller must not answer the call as if it had.
// It is safe for concurrent use.
type Writer interface {
	Write(ctx context.Context, r Record) error
}

type callKey struct{}

// Call is what a service tells the audit log about its call beyond the status it returns.
type Call struct {
	denied   bool
	resource string
}

// WithCall returns ctx carrying a fresh Call; the audit interceptor does this for every call.
func WithCall(ctx context.Context) (context.Context, *Call) {
	c := &Call{}
	return context.WithValue(ctx, callKey{}, c), c
}

// Denied marks the call as refused by access control although its status does not say so: a dataset the
// caller may not read answers NOT_FOUND, to hide that it exists, and that answer must still be audited as a
// denial. resource names what was refused (a dataset id; "" keeps the one the request named). Outside an
// audited call it does nothing.
func Denied(ctx context.Context, resource string) {
	if c, ok := ctx.Value(callKey{}).(*Call); ok {
		c.denied = true
		if resource != "" {
			c.resource = resource
		}
	}
}

// IsDenied reports whether Denied was called, and the resource it named.
func (c *Call) IsDenied() (bool, string) { return c.denied, c.resource }
