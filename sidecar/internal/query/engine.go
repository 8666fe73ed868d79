// Package query runs read-only SQL over datasets (package querysvc serves it as QueryService). A statement is checked by package guard, its
// dataset references are resolved to tables (tabular.Catalog) and handed to an Engine — DuckDB in process
// (query/duckdb) or Trino — which runs it. One conformance suite (query/sqltest) holds every engine to the same
// answers on the same data.
package query

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// Engine runs checked, read-only statements over dataset tables.
//
// Contract:
//   - Query runs req.Statement, which the guard accepted, with every schema in req.Schemas visible under the
//     name the statement uses for it (see Rewrite, which does the renaming for engines that register tables
//     under names of their own). It returns once the result's columns are known; rows are read with Next.
//   - Column types are reported in the dialect of tabular.NormalizeType; values are those of
//     tabular.NormalizeValue. A query returns at most req.MaxRows+1 rows (one more tells the caller the result
//     was cut), so that an engine can stop work early.
//   - Cancelling ctx (given to Query and to each Next) stops the engine's work on the query promptly — the
//     query must not keep running in the engine — and makes Query/Next return ctx's error.
//   - A statement the engine rejects (syntax, unknown table or column, type errors) is a *SQLError with the
//     position in the statement as the client wrote it, its message cleaned of engine internals (file paths,
//     internal table names). Engine outages wrap apierr.ErrUnavailable.
//   - Close releases the query; it is safe to call more than once and after an error.
type Engine interface {
	backend.Backend
	Query(ctx context.Context, req Request) (Rows, error)
}

// Request is one statement to run.
type Request struct {
	// ID names the query (for an engine's own bookkeeping, e.g. Trino's query tags).
	ID        string
	Statement *guard.Statement
	Schemas   []Schema
	MaxRows   int64
	// Arrow says the caller reads the result as Arrow batches: an engine that can produce them itself returns
	// ArrowRows.
	Arrow bool
}

// Schema is a dataset at a resolved ref, as the statement names it.
type Schema struct {
	// Name is the identifier the statement uses: "iris@v3", "iris".
	Name    string
	Dataset string
	// Snapshot is the resolved snapshot id, or "draft".
	Snapshot string
	Tables   []tabular.Table
}

// Column is a result column.
type Column struct {
	Name string
	Type string
}

// Rows is a running query's result.
type Rows interface {
	Columns() []Column
	// Next returns up to n more rows, each with one value per column; an empty batch and no error at the end.
	Next(ctx context.Context, n int) ([][]any, error)
	Close() error
}

// ArrowRows is a result an engine reads as Arrow batches itself, without converting values one by one.
//
// Contract: when Query was given Request.Arrow and returns an ArrowRows, the caller reads it with NextRecord
// only (not Next). NextRecord returns the next batch in ArrowSchema(Columns()) — the canonical types, as a
// Conformer makes them — which the caller releases, or nil at the end. Errors, cancellation and the
// MaxRows+1 bound are those of Next.
type ArrowRows interface {
	Rows
	NextRecord(ctx context.Context) (arrow.RecordBatch, error)
}

// SQLError is a statement the engine rejected.
type SQLError struct {
	// Pos is the byte offset in the client's statement, or -1 when the engine did not say where.
	Pos int
	Msg string
}

func (e *SQLError) Error() string { return e.Msg }

// Exporter is an engine that can store a query's whole result as a Parquet file (SaveQueryResult).
//
// Contract:
//   - ExportParquet runs req.Statement, which must be a query (Statement.Query), with req.Schemas visible as
//     in Query, and writes its result — at most req.MaxRows+1 rows, so the caller can tell a longer result —
//     to a new local Parquet file of the engine's choosing. The client's text is only ever run as that query;
//     the engine alone writes the file.
//   - It returns the file's path, the rows written and a release function that removes the file; release is
//     safe to call more than once. On error nothing is left behind.
//   - Errors are those of Query: *SQLError for statements the engine rejects, ctx's error when cancelled,
//     apierr.ErrFailedPrecondition when this engine instance cannot write files.
type Exporter interface {
	ExportParquet(ctx context.Context, req Request) (path string, rows int64, release func(), err error)
}
