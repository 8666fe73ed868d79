package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/index"
)

// maxBulkBytes splits large writes into several _bulk calls, well under http.max_content_length (100 MB).
const maxBulkBytes = 8 << 20

// Upsert implements index.Writer. Documents are visible to searches when it returns (refresh=true).
func (x *Index) Upsert(ctx context.Context, docs ...*index.Document) error {
	if len(docs) == 0 {
		return nil
	}
	return x.write(ctx, func(targets []string) error { return x.bulkUpsert(ctx, targets, true, docs) })
}

// Delete implements index.Writer; unknown IDs are not an error.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	return x.write(ctx, func(targets []string) error { return x.bulkDelete(ctx, targets, true, ids) })
}

// write applies one change through both aliases (see writeAliasSuffix), in one _bulk call. Aliases that
// vanished (deleted by hand) are recreated once.
func (x *Index) write(ctx context.Context, apply func(targets []string) error) error {
	if err := x.ensureAlias(ctx); err != nil {
		return err
	}
	targets := []string{x.alias, x.writeAlias}
	err := apply(targets)
	if isType(err, "index_not_found_exception") {
		x.forget()
		if err = x.ensureAlias(ctx); err == nil {
			err = apply(targets)
		}
	}
	return err
}

// bulkUpsert indexes docs into every target.
func (x *Index) bulkUpsert(ctx context.Context, targets []string, viaAlias bool, docs []*index.Document) error {
	var body bytes.Buffer
	for _, d := range docs {
		if d == nil || d.ID == "" {
			return apierr.InvalidArgument("id", "an index document needs an id")
		}
		src, err := toSource(d)
		if err != nil {
			return err
		}
		for _, t := range targets {
			action := map[string]any{"index": map[string]any{"_index": t, "_id": d.ID}}
			if err := appendNDJSON(&body, action, src); err != nil {
				return err
			}
		}
		if body.Len() > maxBulkBytes {
			if err := x.bulk(ctx, viaAlias, body.Bytes()); err != nil {
				return err
			}
			body.Reset()
		}
	}
	return x.bulk(ctx, viaAlias, body.Bytes())
}

// bulkDelete removes ids from every target.
func (x *Index) bulkDelete(ctx context.Context, targets []string, viaAlias bool, ids []string) error {
	var body bytes.Buffer
	for _, id := range ids {
		for _, t := range targets {
			if err := appendNDJSON(&body, map[string]any{"delete": map[string]any{"_index": t, "_id": id}}); err != nil {
				return err
			}
		}
	}
	return x.bulk(ctx, viaAlias, body.Bytes())
}

func appendNDJSON(buf *bytes.Buffer, lines ...any) error {
	for _, l := range lines {
		b, err := json.Marshal(l)
		if err != nil {
			return fmt.Errorf("encoding a bulk line: %w", err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return nil
}

// bulk sends one _bulk body. Through the aliases it requires them to be aliases (an index is never created
// implicitly with guessed mappings) and refreshes, so the change is searchable on return; a generation being
// filled is refreshed once, before the swap.
func (x *Index) bulk(ctx context.Context, viaAlias bool, ndjson []byte) error {
	if len(ndjson) == 0 {
		return nil
	}
	q := url.Values{}
	if viaAlias {
		q.Set("require_alias", "true")
		q.Set("refresh", "true")
	}
	var resp struct {
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			ID     string          `json:"_id"`
			Status int             `json:"status"`
			Error  json.RawMessage `json:"error"`
		} `json:"items"`
	}
	if err := x.call(ctx, req{method: http.MethodPost, path: "/_bulk", query: q, ndjson: ndjson}, &resp); err != nil {
		return err
	}
	if !resp.Errors {
		return nil
	}
	for _, item := range resp.Items {
		for _, r := range item {
			if len(r.Error) == 0 {
				continue // a delete of an unknown id answers 404 without an error
			}
			return itemError(r.ID, r.Status, r.Error, x.loc)
		}
	}
	return errors.New("elasticsearch reported bulk errors without details")
}

// itemError is the error of one failed bulk item: overload (429) and server trouble mean unavailable.
func itemError(id string, status int, raw json.RawMessage, loc string) error {
	e := &esError{Status: status}
	var detail struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(raw, &detail) == nil {
		e.Type, e.Reason = detail.Type, detail.Reason
	}
	if status >= 500 || status == http.StatusTooManyRequests {
		return fmt.Errorf("elasticsearch at %s, document %q: %w: %w", loc, id, e, apierr.ErrUnavailable)
	}
	return fmt.Errorf("document %q: %w", id, e)
}

// Get implements index.Index.
func (x *Index) Get(ctx context.Context, id string) (*index.Document, error) {
	if err := x.ensureAlias(ctx); err != nil {
		return nil, err
	}
	var resp struct {
		Found  bool            `json:"found"`
		Source json.RawMessage `json:"_source"`
	}
	q := url.Values{"_source_includes": {fDoc}}
	err := x.call(ctx, req{method: http.MethodGet, path: pathOf(x.alias, "_doc", id), query: q}, &resp)
	var e *esError
	if errors.As(err, &e) && e.Status == http.StatusNotFound && e.Type == "" {
		return nil, fmt.Errorf("dataset %q in the index: %w", id, apierr.ErrNotFound)
	}
	if err != nil {
		if isType(err, "index_not_found_exception") {
			x.forget()
		}
		return nil, err
	}
	if !resp.Found {
		return nil, fmt.Errorf("dataset %q in the index: %w", id, apierr.ErrNotFound)
	}
	return fromSource(resp.Source)
}
