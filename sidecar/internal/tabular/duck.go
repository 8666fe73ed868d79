package tabular

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// DuckOptions configure an in-process DuckDB.
type DuckOptions struct {
	// ReadDirs are the only directories DuckDB may read files from (a Locator's Dirs).
	ReadDirs []string
	// TempDir is where DuckDB may spill; empty disables spilling.
	TempDir string
	// MemoryLimit is DuckDB's memory_limit, e.g. "2GB"; empty keeps DuckDB's default (80% of RAM).
	MemoryLimit string
	// Threads is DuckDB's thread count; 0 keeps its default (one per core).
	Threads int
}

// OpenDuckDB opens an in-memory DuckDB locked down for untrusted SQL: it can read files only under
// opts.ReadDirs, cannot reach the network, install or load extensions, or write files other than its spill
// files, and no statement can change that (lock_configuration). The statement guard rejects such statements
// too; this is the second wall, for whatever the guard does not know about.
func OpenDuckDB(ctx context.Context, opts DuckOptions) (*sql.DB, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	db := sql.OpenDB(connector)
	var dirs []string
	for _, d := range opts.ReadDirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("duckdb: %w", err)
		}
		dirs = append(dirs, Literal(strings.TrimSuffix(abs, "/")+"/"))
	}
	stmts := []string{
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET allowed_directories = [" + strings.Join(dirs, ", ") + "]",
		"SET temp_directory = " + Literal(opts.TempDir),
	}
	if opts.MemoryLimit != "" {
		stmts = append(stmts, "SET memory_limit = "+Literal(opts.MemoryLimit))
	}
	if opts.Threads > 0 {
		stmts = append(stmts, fmt.Sprintf("SET threads = %d", opts.Threads))
	}
	stmts = append(stmts, "SET enable_external_access = false", "SET lock_configuration = true")
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("duckdb setup %q: %w", s, err)
		}
	}
	return db, nil
}

// Literal renders s as a SQL string literal.
func Literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Ident renders s as a quoted SQL identifier.
func Ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// ReaderSQL is the DuckDB table expression reading a file of format f at a local path.
func ReaderSQL(f Format, path string) string {
	p := Literal(path)
	switch f {
	case TSV:
		return "read_csv(" + p + ", delim = '\\t')"
	case Parquet:
		return "read_parquet(" + p + ")"
	case JSONL:
		return "read_json(" + p + ", format = 'newline_delimited')"
	}
	return "read_csv(" + p + ")"
}

// ReaderListSQL is ReaderSQL for several files of one schema, given as SQL literals.
func ReaderListSQL(f Format, literals []string) string {
	list := "[" + strings.Join(literals, ", ") + "]"
	switch f {
	case TSV:
		return "read_csv(" + list + ", delim = '\\t')"
	case Parquet:
		return "read_parquet(" + list + ")"
	case JSONL:
		return "read_json(" + list + ", format = 'newline_delimited')"
	}
	return "read_csv(" + list + ")"
}
