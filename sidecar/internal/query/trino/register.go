package trino

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/trinodb/trino-go-client/trino"
	"golang.org/x/sync/errgroup"
)

// filesSchema holds the raw tables, shared by every dataset state. The underscore keeps it apart from every
// dataset name (dataset ids have none), so reserving it in the guard costs no dataset its name.
const filesSchema = "kamld_files"

// Registrar makes dataset states queryable in a Trino Hive catalog (see the package doc). It is safe for
// concurrent use, and any number of Registrars (one per sidecar) may share one catalog.
type Registrar struct {
	db      *sql.DB
	catalog string
	root    string // s3://bucket[/prefix], where the blob store's keys start
	log     *slog.Logger

	mu    sync.Mutex
	known map[string]bool // views seen complete
}

// NewRegistrar registers tables in catalog through db; root is the s3:// URL of the blob store's bucket and
// prefix as the catalog's S3 file system sees it.
func NewRegistrar(db *sql.DB, catalog, root string, log *slog.Logger) *Registrar {
	if log == nil {
		log = slog.Default()
	}
	return &Registrar{db: db, catalog: catalog, root: strings.TrimSuffix(root, "/"), log: log, known: map[string]bool{}}
}

// Register makes the tables of one state of dataset queryable and returns, for each table's name (lower
// case), the qualified name of the view that reads it. It is idempotent, and free once done: a view seen
// complete is not checked again. A table this sidecar has not seen costs two statements in a row, each table's
// run beside the others': CREATE TABLE IF NOT EXISTS of its raw table (and the parts of a multi-part table),
// which changes nothing where the table exists, then CREATE OR REPLACE VIEW, which writes the same view again
// where it exists (views are named by what they read). Asking first which views exist cost more than it
// saved: a metadata SELECT is slower than both DDL statements on the Hive metastore (docs/benchmarks.md).
// Tables without columns (extraction pending) or without files are left out.
func (r *Registrar) Register(ctx context.Context, dataset string, tables []Table) (map[string]string, error) {
	tables = r.registrable(tables)
	views := make(map[string]string, len(tables))
	var todo []Table
	seen := map[string]bool{}
	r.mu.Lock()
	for _, t := range tables {
		v := viewName(t)
		views[strings.ToLower(t.Name)] = quoteIdent(r.catalog) + "." + quoteIdent(filesSchema) + "." + quoteIdent(v)
		if !r.known[v] && !seen[v] {
			seen[v] = true
			todo = append(todo, t)
		}
	}
	r.mu.Unlock()
	if len(todo) == 0 {
		return views, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, t := range todo {
		g.Go(func() error {
			// The view comes last, once its raw table is whole: an existing view means a finished registration.
			if err := r.rawTable(gctx, t); err != nil {
				return err
			}
			cols, _ := rawColumns(t) // what was left out is logged by rawTable
			return r.exec(gctx, createView(r.catalog, t, cols))
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	r.log.Info("trino: registered tables", "dataset", dataset, "new", len(todo), "tables", len(tables))
	r.mu.Lock()
	for _, t := range todo {
		r.known[viewName(t)] = true
	}
	r.mu.Unlock()
	return views, nil
}

func (r *Registrar) registrable(tables []Table) []Table {
	var out []Table
	for _, t := range tables {
		if len(t.Columns) > 0 && len(t.Digests) > 0 {
			t.root = r.root
			out = append(out, t)
		}
	}
	return out
}

// rawTable makes t's raw table if no sidecar did, and its parts; the shared schema too, the first time.
func (r *Registrar) rawTable(ctx context.Context, t Table) error {
	for _, d := range t.Digests {
		if !validDigest(d) {
			return fmt.Errorf("table %s: %q is not a sha256 digest", t.Name, d)
		}
	}
	cols, skipped := rawColumns(t)
	if len(skipped) > 0 {
		r.log.Warn("trino: columns left out of a table, their types have no Trino equivalent", "table", t.Name, "columns", skipped)
	}
	ddl := createRawTable(r.catalog, r.root, t, cols)
	err := r.execIdempotent(ctx, ddl)
	if schemaMissing(err) {
		if err = r.execIdempotent(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(r.catalog)+"."+quoteIdent(filesSchema)); err == nil {
			err = r.execIdempotent(ctx, ddl)
		}
	}
	if err != nil {
		return err
	}
	return r.registerParts(ctx, t)
}

// execIdempotent runs a CREATE … IF NOT EXISTS. Two such statements racing (tables of one state, or sidecars)
// can still fail in the metastore with "already exists", which is the outcome the statement asks for.
func (r *Registrar) execIdempotent(ctx context.Context, stmt string) error {
	if err := r.exec(ctx, stmt); err != nil && !strings.Contains(err.Error(), "already exists") {
		return err
	}
	return nil
}

// schemaMissing reports whether Trino refused a statement because the shared schema does not exist: its
// error name is SCHEMA_NOT_FOUND, or a user error "Schema kamld_files not found" from the Hive metastore.
func schemaMissing(err error) bool {
	var te *trino.ErrTrino
	if !errors.As(err, &te) {
		return false
	}
	return te.ErrorName == "SCHEMA_NOT_FOUND" ||
		strings.Contains(strings.ToLower(te.Message), "schema "+filesSchema+" not found")
}

// registerParts adds the partitions of a multi-part table that are not there yet (another sidecar, or an
// earlier attempt cut short, may have added some).
func (r *Registrar) registerParts(ctx context.Context, t Table) error {
	if len(t.Digests) < 2 {
		return nil
	}
	rows, err := r.db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s.%s.%s", partColumn,
		quoteIdent(r.catalog), quoteIdent(filesSchema), quoteIdent(rawTableName(t)+"$partitions")))
	if err != nil {
		return fmt.Errorf("listing the partitions of %s: %w", t.Name, err)
	}
	have := map[string]bool{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return err
		}
		have[p] = true
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for i := range t.Digests {
		if have[fmt.Sprint(i)] {
			continue
		}
		if err := r.exec(ctx, registerPartition(r.catalog, r.root, t, i)); err != nil && !strings.Contains(err.Error(), "already exists") {
			return err
		}
	}
	return nil
}

func (r *Registrar) exec(ctx context.Context, stmt string) error {
	if _, err := r.db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("registering tables in Trino: %w", err)
	}
	return nil
}
