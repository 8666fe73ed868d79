package duckdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

var _ query.Exporter = (*Engine)(nil)

// exportsDir is the subdirectory of the engine's cache directory where results are written before they are
// ingested. It is among DuckDB's allowed directories; the statement guard and verify keep client SQL from
// writing there (only the engine's own COPY does).
const exportsDir = "exports"

// ExportParquet implements query.Exporter: COPY (<query>) TO '<exports>/<n>.parquet'.
func (e *Engine) ExportParquet(ctx context.Context, req query.Request) (string, int64, func(), error) {
	if e.exports == "" {
		return "", 0, nil, fmt.Errorf("this DuckDB engine has no directory to write results to: %w", apierr.ErrFailedPrecondition)
	}
	if !req.Statement.Query {
		return "", 0, nil, &query.SQLError{Pos: 0, Msg: "only a SELECT or WITH query can be saved"}
	}
	q, err := e.prepare(ctx, req)
	if err != nil {
		return "", 0, nil, err
	}
	defer q.Close()
	path := filepath.Join(e.exports, fmt.Sprintf("%d-%d.parquet", os.Getpid(), e.seq.Add(1)))
	var once sync.Once
	release := func() { once.Do(func() { _ = os.Remove(path) }) }
	src := q.rw.SQL
	if req.MaxRows > 0 {
		src = fmt.Sprintf("SELECT * FROM (\n%s\n) LIMIT %d", q.rw.SQL, req.MaxRows+1)
	}
	q.sqlText = "COPY (\n" + src + "\n) TO " + tabular.Literal(path) + " (FORMAT parquet)"
	q.offset = len("COPY (\n")
	if req.MaxRows > 0 {
		q.offset += len("SELECT * FROM (\n")
	}
	res, err := q.conn.ExecContext(ctx, q.sqlText)
	if err != nil {
		release()
		return "", 0, nil, q.engineError(ctx, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		release()
		return "", 0, nil, fmt.Errorf("duckdb: rows written: %w", err)
	}
	return path, n, release, nil
}
