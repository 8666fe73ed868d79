package tabular

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// Extractor computes FileSchemas with DuckDB. Safe for concurrent use.
type Extractor struct {
	db  *LazyDB
	loc *Locator
}

// NewExtractor returns an Extractor reading blobs through loc with db (see OpenDuckDB; it must be allowed to
// read loc.Dirs()).
func NewExtractor(db *sql.DB, loc *Locator) *Extractor { return &Extractor{db: FixedDB(db), loc: loc} }

// NewLazyExtractor is NewExtractor with a database opened on first use.
func NewLazyExtractor(db *LazyDB, loc *Locator) *Extractor { return &Extractor{db: db, loc: loc} }

// Locator returns the locator the extractor reads blobs through.
func (x *Extractor) Locator() *Locator { return x.loc }

// Limits of what extraction records.
const (
	maxSamples     = 5
	maxSampleChars = 64
	maxMinMaxChars = 256
	sampleRows     = 200
)

// Extract reads the file with digest and size as format f and returns its schema, exact row count and per-column
// statistics. A file DuckDB cannot parse as f is ErrFailedPrecondition with DuckDB's reason.
func (x *Extractor) Extract(ctx context.Context, f Format, digest string, size int64) (*FileSchema, error) {
	path, release, err := x.loc.Path(ctx, digest, size)
	if err != nil {
		return nil, err
	}
	defer release()
	db, done, err := x.db.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w: %w", apierr.ErrUnavailable, err)
	}
	defer done()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w: %w", apierr.ErrUnavailable, err)
	}
	defer conn.Close()
	src := ReaderSQL(f, path)
	cols, err := describe(ctx, conn, src)
	if err != nil {
		return nil, unreadable(ctx, f, err)
	}
	rows, err := summarize(ctx, conn, src, cols)
	if err != nil {
		return nil, unreadable(ctx, f, err)
	}
	if err := samples(ctx, conn, src, cols); err != nil {
		return nil, unreadable(ctx, f, err)
	}
	for i := range cols {
		cols[i].Nullable = cols[i].Nullable || cols[i].Stats.NullCount > 0
	}
	return &FileSchema{Format: f, Columns: cols, RowCount: rows}, nil
}

func unreadable(ctx context.Context, f Format, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("cannot read the file as %s: %s: %w", f, CleanError(err.Error()), apierr.ErrFailedPrecondition)
}

// describe returns the columns with dialect types; Nullable is what the file's own schema allows (Parquet).
func describe(ctx context.Context, conn *sql.Conn, src string) ([]Column, error) {
	rows, err := conn.QueryContext(ctx, "DESCRIBE SELECT * FROM "+src)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var name, typ string
		var null, key, def, extra sql.NullString
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			return nil, err
		}
		d, _ := NormalizeType(typ)
		cols = append(cols, Column{Name: name, Type: d, Stats: &ColumnStats{}})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, errors.New("no columns")
	}
	return cols, nil
}

// summarize computes the row count and per-column nulls, min and max in one scan, then the distinct counts
// (distinct.go).
func summarize(ctx context.Context, conn *sql.Conn, src string, cols []Column) (int64, error) {
	exprs := []string{"count(*)"}
	for _, c := range cols {
		q := Ident(c.Name)
		mm := "NULL, NULL"
		if orderable(c.Type) {
			mm = fmt.Sprintf("CAST(min(%s) AS VARCHAR), CAST(max(%s) AS VARCHAR)", q, q)
		}
		exprs = append(exprs, fmt.Sprintf("count(*) - count(%s)", q), mm)
	}
	var n int64
	dest := []any{&n}
	mins := make([]sql.NullString, len(cols))
	maxs := make([]sql.NullString, len(cols))
	for i := range cols {
		dest = append(dest, &cols[i].Stats.NullCount, &mins[i], &maxs[i])
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + src
	if err := conn.QueryRowContext(ctx, q).Scan(dest...); err != nil {
		return 0, err
	}
	for i := range cols {
		cols[i].Stats.Min = truncate(mins[i].String, maxMinMaxChars)
		cols[i].Stats.Max = truncate(maxs[i].String, maxMinMaxChars)
	}
	return n, distinctCounts(ctx, conn, src, cols, n)
}

// samples records up to maxSamples distinct non-null values per column from the file's first rows.
func samples(ctx context.Context, conn *sql.Conn, src string, cols []Column) error {
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = fmt.Sprintf("CAST(%s AS VARCHAR)", Ident(c.Name))
	}
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s LIMIT %d", strings.Join(exprs, ", "), src, sampleRows))
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	seen := make([]map[string]bool, len(cols))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i, v := range vals {
			st := cols[i].Stats
			if !v.Valid || len(st.Samples) >= maxSamples {
				continue
			}
			s := truncate(v.String, maxSampleChars)
			if seen[i] == nil {
				seen[i] = map[string]bool{}
			}
			if !seen[i][s] {
				seen[i][s] = true
				st.Samples = append(st.Samples, s)
			}
		}
	}
	return rows.Err()
}

// truncate cuts s to at most n characters, on a rune boundary.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// Head is the first rows of a file.
type Head struct {
	Columns   []Column
	Rows      [][]any
	Truncated bool
	// TotalRows is the file's row count when known cheaply (Parquet metadata, or a file that fit), else 0.
	TotalRows int64
}

// Head reads the first limit rows of a file with digest and size as format f, values normalized as
// NormalizeValue does. Unparseable content is ErrFailedPrecondition with DuckDB's reason.
func (x *Extractor) Head(ctx context.Context, f Format, digest string, size int64, limit int) (*Head, error) {
	path, release, err := x.loc.Path(ctx, digest, size)
	if err != nil {
		return nil, err
	}
	defer release()
	db, done, err := x.db.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w: %w", apierr.ErrUnavailable, err)
	}
	defer done()
	src := ReaderSQL(f, path)
	rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT * FROM %s LIMIT %d", src, limit+1))
	if err != nil {
		return nil, unreadable(ctx, f, err)
	}
	defer rows.Close()
	h := &Head{}
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, unreadable(ctx, f, err)
	}
	for _, ct := range cts {
		t, _ := NormalizeType(ct.DatabaseTypeName())
		h.Columns = append(h.Columns, Column{Name: ct.Name(), Type: t})
	}
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if len(h.Rows) == limit {
			h.Truncated = true
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, unreadable(ctx, f, err)
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = NormalizeValue(v)
		}
		h.Rows = append(h.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, unreadable(ctx, f, err)
	}
	switch {
	case !h.Truncated:
		h.TotalRows = int64(len(h.Rows))
	case f == Parquet:
		// Parquet keeps its row count in the footer: count(*) reads no data pages.
		_ = db.QueryRowContext(ctx, "SELECT count(*) FROM "+src).Scan(&h.TotalRows)
	}
	return h, nil
}
