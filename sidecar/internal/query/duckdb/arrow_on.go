//go:build duckdb_arrow

package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
)

// arrowBuilt says this build reads results through DuckDB's Arrow interface (duckdb-go's duckdb_arrow tag,
// which the Makefile sets); without it Arrow results are converted from rows like another engine's.
const arrowBuilt = true

// queryArrow runs text on conn through DuckDB's Arrow interface: the batches are DuckDB's chunks converted by
// DuckDB itself, column by column. The reader uses the connection after Raw returns; that is safe because the
// query holds conn (a *sql.Conn, never shared) until it releases the reader.
func queryArrow(ctx context.Context, conn *sql.Conn, text string) (array.RecordReader, error) {
	var rr array.RecordReader
	err := conn.Raw(func(dc any) error {
		dconn, ok := dc.(driver.Conn)
		if !ok {
			return errNotDuckDB
		}
		a, err := duckdb.NewArrowFromConn(dconn)
		if err != nil {
			return err
		}
		rr, err = a.QueryContext(ctx, text)
		return err
	})
	return rr, err
}
