//go:build !duckdb_arrow

package duckdb

import (
	"context"
	"database/sql"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// arrowBuilt is false without duckdb-go's duckdb_arrow build tag: Arrow results are then converted from rows.
const arrowBuilt = false

func queryArrow(context.Context, *sql.Conn, string) (array.RecordReader, error) {
	return nil, errNotDuckDB
}
