package audit

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/blob"
)

// Query selects records. Empty fields match everything.
type Query struct {
	Subject string
	Dataset string
	// Method is a full method ("/kamld.v1.DatasetService/CreateDataset") or its last part ("CreateDataset").
	Method  string
	Outcome string // a status code name: OK, PERMISSION_DENIED, ...
	Since   time.Time
	Until   time.Time // exclusive
	// PageSize is the most records returned (1..1000).
	PageSize  int
	PageToken string
}

// ErrBadPageToken is a page token that does not decode or belongs to another query.
var ErrBadPageToken = errors.New("page token does not belong to this query")

// segmentSpan is how much later than its key's time a segment's records can be: they waited in the queue and
// for the write. Listing from a time starts this much earlier.
const segmentSpan = time.Minute

// cursor is where a page ended: after line Line of segment Segment.
type cursor struct {
	Segment string `json:"s"`
	Line    int    `json:"l"`
	Filter  string `json:"f"`
}

// List returns the records q selects, oldest first, and the token of the next page ("" after the last).
func (l *Log) List(ctx context.Context, q Query) ([]Record, string, error) {
	return List(ctx, l.store, q)
}

// List reads the records q selects from the segments in store (which another kamld may have written).
func List(ctx context.Context, store blob.Store, q Query) ([]Record, string, error) {
	at, err := q.start()
	if err != nil {
		return nil, "", err
	}
	// Where listing starts: just before the cursor's segment (it is read again from the line after the
	// cursor's), or early enough for Since, or at the beginning.
	startAfter := ""
	switch {
	case at.Line >= 0:
		startAfter = before(at.Segment)
	case !q.Since.IsZero():
		startAfter = Prefix + fmt.Sprintf("%020d", q.Since.Add(-segmentSpan).UnixNano())
	}
	var out []Record
	for {
		page, err := store.List(ctx, blob.ListOptions{Prefix: Prefix, StartAfter: startAfter, Limit: 100})
		if err != nil {
			return nil, "", err
		}
		for _, obj := range page.Objects {
			if !q.Until.IsZero() && segmentTime(obj.Key).After(q.Until) {
				return out, "", nil
			}
			recs, err := readSegment(ctx, store, obj.Key)
			if err != nil {
				return nil, "", err
			}
			from := 0
			if obj.Key == at.Segment {
				from = at.Line + 1
			}
			for i := from; i < len(recs); i++ {
				if !q.matches(recs[i]) {
					continue
				}
				if out = append(out, recs[i]); len(out) == q.PageSize {
					return out, q.token(obj.Key, i), nil
				}
			}
			startAfter = obj.Key
		}
		if !page.More {
			return out, "", nil
		}
	}
}

// before returns a key that sorts right before key: its last byte decremented, the rest kept. Segment keys
// end in ".jsonl", so the result is a valid StartAfter.
func before(key string) string {
	b := []byte(key)
	b[len(b)-1]--
	return string(b)
}

func segmentTime(key string) time.Time {
	digits, _, _ := strings.Cut(strings.TrimPrefix(key, Prefix), "-")
	ns, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

func readSegment(ctx context.Context, store blob.Store, key string) ([]Record, error) {
	rc, _, err := store.Get(ctx, key, blob.GetOptions{})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var out []Record
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), DefaultSegmentMaxBytes+1)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("audit segment %s: %w", key, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

func (q Query) matches(r Record) bool {
	switch {
	case q.Subject != "" && r.Subject != q.Subject,
		q.Dataset != "" && r.Resource != q.Dataset,
		q.Outcome != "" && r.Outcome != q.Outcome,
		q.Method != "" && r.Method != q.Method && !strings.HasSuffix(r.Method, "/"+q.Method),
		!q.Since.IsZero() && r.Time.Before(q.Since),
		!q.Until.IsZero() && !r.Time.Before(q.Until):
		return false
	}
	return true
}

// filter identifies the query's selection, so a token is refused for another one.
func (q Query) filter() string {
	h := sha256.Sum256([]byte(strings.Join([]string{q.Subject, q.Dataset, q.Method, q.Outcome,
		q.Since.UTC().Format(time.RFC3339Nano), q.Until.UTC().Format(time.RFC3339Nano)}, "\x00")))
	return base64.RawURLEncoding.EncodeToString(h[:12])
}

func (q Query) token(segment string, line int) string {
	b, _ := json.Marshal(cursor{Segment: segment, Line: line, Filter: q.filter()})
	return base64.RawURLEncoding.EncodeToString(b)
}

// start decodes the page token: Line -1 when there is none.
func (q Query) start() (cursor, error) {
	if q.PageToken == "" {
		return cursor{Line: -1}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(q.PageToken)
	var c cursor
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Filter != q.filter() || !strings.HasPrefix(c.Segment, Prefix) ||
		!strings.HasSuffix(c.Segment, ".jsonl") || c.Line < 0 {
		return cursor{}, ErrBadPageToken
	}
	return c, nil
}
