package audit

import (
	"context"
	"encoding/json"
	"io"

	"github.com/kamld/kamld/sidecar/internal/blob"
)

// TableTimeLayout is how the table's time column is written: UTC, microseconds, as SQL engines read a
// TIMESTAMP.
const TableTimeLayout = "2006-01-02 15:04:05.000000"

// tableRow is one record as a row of the audit log's SQL table (docs/sql.md, "The audit log"): every column
// is present in every row, so that a reader infers the same columns from any part of the log.
type tableRow struct {
	Time          string   `json:"time"`
	Subject       string   `json:"subject"`
	Groups        []string `json:"groups"`
	Kind          string   `json:"kind"`
	Method        string   `json:"method"`
	Dataset       string   `json:"dataset"`
	Outcome       string   `json:"outcome"`
	Reason        string   `json:"reason"`
	RequestID     string   `json:"request_id"`
	ClientAddress string   `json:"client_address"`
}

// WriteTable writes every record in store, oldest first, to w as JSON lines of the table's columns, and
// returns how many it wrote.
func WriteTable(ctx context.Context, store blob.Store, w io.Writer) (int64, error) {
	enc := json.NewEncoder(w)
	q := Query{PageSize: 1000}
	var n int64
	for {
		recs, next, err := List(ctx, store, q)
		if err != nil {
			return n, err
		}
		for _, r := range recs {
			row := tableRow{Time: r.Time.UTC().Format(TableTimeLayout), Subject: r.Subject, Groups: r.Groups, Kind: r.Kind,
				Method: r.Method, Dataset: r.Resource, Outcome: r.Outcome, Reason: r.Reason, RequestID: r.RequestID, ClientAddress: r.ClientAddr}
			if row.Groups == nil {
				row.Groups = []string{}
			}
			if err := enc.Encode(row); err != nil {
				return n, err
			}
			n++
		}
		if q.PageToken = next; next == "" {
			return n, nil
		}
	}
}
