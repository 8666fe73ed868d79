package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// req is one REST call to the cluster.
type req struct {
	method string
	path   string // escaped; build it with pathOf
	query  url.Values
	body   any    // marshalled as JSON unless nil
	ndjson []byte // a _bulk body; wins over body
}

// esError is an error answer of Elasticsearch.
type esError struct {
	Status int
	Type   string // e.g. index_not_found_exception
	Reason string
}

func (e *esError) Error() string {
	return fmt.Sprintf("elasticsearch answered %d %s: %s", e.Status, e.Type, e.Reason)
}

// isType reports whether err is an Elasticsearch error of the given type.
func isType(err error, typ string) bool {
	var e *esError
	return errors.As(err, &e) && e.Type == typ
}

// call performs r and decodes a 2xx answer into out (when non-nil). A cluster that cannot be reached or
// answers 5xx/429 gives an error wrapping apierr.ErrUnavailable; another error answer gives an *esError.
func (x *Index) call(ctx context.Context, r req, out any) error {
	var body io.Reader
	contentType := "application/json"
	switch {
	case r.ndjson != nil:
		body, contentType = bytes.NewReader(r.ndjson), "application/x-ndjson"
	case r.body != nil:
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("encoding an elasticsearch request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	// r.path is already escaped (see pathOf), so it is parsed rather than assigned to URL.Path.
	u, err := url.Parse(r.path)
	if err != nil {
		return fmt.Errorf("building an elasticsearch request: %w", err)
	}
	u.RawQuery = r.query.Encode()
	hr, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return fmt.Errorf("building an elasticsearch request: %w", err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", contentType)
	}
	resp, err := x.es.Perform(hr)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("elasticsearch at %s: %v: %w", x.loc, err, apierr.ErrUnavailable)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return x.answerError(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("elasticsearch at %s: undecodable answer to %s %s: %v: %w", x.loc, r.method, r.path, err, apierr.ErrUnavailable)
	}
	return nil
}

// answerError turns an error answer into an error: 5xx and 429 mean the cluster cannot serve now.
func (x *Index) answerError(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var parsed struct {
		Error json.RawMessage `json:"error"`
	}
	e := &esError{Status: resp.StatusCode}
	if json.Unmarshal(raw, &parsed) == nil && len(parsed.Error) > 0 {
		var detail struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		}
		if json.Unmarshal(parsed.Error, &detail) == nil {
			e.Type, e.Reason = detail.Type, detail.Reason
		} else {
			e.Reason = string(parsed.Error) // some answers carry the error as a plain string
		}
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return fmt.Errorf("elasticsearch at %s: %w: %w", x.loc, e, apierr.ErrUnavailable)
	}
	return e
}

// pathOf joins path segments, escaping each: "/" + a + "/" + b.
func pathOf(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}
