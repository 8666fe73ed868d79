package trino

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
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
	known map[string]bool // state schemas seen complete
}

// NewRegistrar registers tables in catalog through db; root is the s3:// URL of the blob store's bucket and
// prefix as the catalog's S3 file system sees it.
func NewRegistrar(db *sql.DB, catalog, root string, log *slog.Logger) *Registrar {
	if log == nil {
		log = slog.Default()
	}
	return &Registrar{db: db, catalog: catalog, root: strings.TrimSuffix(root, "/"), log: log, known: map[string]bool{}}
}

// Register makes the tables of one state of dataset queryable and returns the Trino schema holding them, one
// view per table named as the table. It is idempotent, and cheap once done: a state seen complete is not
// checked again. Tables without columns (extraction pending) or without files are left out.
func (r *Registrar) Register(ctx context.Context, dataset string, tables []Table) (string, error) {
	tables = r.registrable(tables)
	schema := stateSchemaName(dataset, tables)
	r.mu.Lock()
	done := r.known[schema]
	r.mu.Unlock()
	if done {
		return schema, nil
	}
	complete, err := r.complete(ctx, schema, len(tables))
	if err != nil {
		return "", err
	}
	if !complete {
		if err := r.create(ctx, schema, tables); err != nil {
			return "", err
		}
	}
	r.mu.Lock()
	r.known[schema] = true
	r.mu.Unlock()
	return schema, nil
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

// complete reports whether schema exists with all its n views; views are created last, after their raw
// tables are whole, so that means the registration finished.
func (r *Registrar) complete(ctx context.Context, schema string, n int) (bool, error) {
	q := fmt.Sprintf("SELECT count(*) FROM %s.information_schema.tables WHERE table_schema = %s AND table_type = 'VIEW'",
		quoteIdent(r.catalog), quoteString(schema))
	var views int
	if err := r.db.QueryRowContext(ctx, q).Scan(&views); err != nil {
		return false, fmt.Errorf("checking the Trino schema %s: %w", schema, err)
	}
	return views == n && n > 0, nil
}

func (r *Registrar) create(ctx context.Context, schema string, tables []Table) error {
	if err := r.exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(r.catalog)+"."+quoteIdent(filesSchema)); err != nil {
		return err
	}
	if err := r.exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(r.catalog)+"."+quoteIdent(schema)); err != nil {
		return err
	}
	for _, t := range tables {
		for _, d := range t.Digests {
			if !validDigest(d) {
				return fmt.Errorf("table %s: %q is not a sha256 digest", t.Name, d)
			}
		}
		cols, skipped := rawColumns(t)
		if len(skipped) > 0 {
			r.log.Warn("trino: columns left out of a table, their types have no Trino equivalent",
				"table", t.Name, "columns", skipped)
		}
		if err := r.exec(ctx, createRawTable(r.catalog, r.root, t, cols)); err != nil {
			return err
		}
		if err := r.registerParts(ctx, t); err != nil {
			return err
		}
		if err := r.exec(ctx, createView(r.catalog, schema, t, cols)); err != nil {
			return err
		}
	}
	r.log.Info("trino: registered a dataset state", "schema", schema, "tables", len(tables))
	return nil
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
