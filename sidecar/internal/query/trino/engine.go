package trino

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"github.com/trinodb/trino-go-client/trino"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// Config says which Trino to use and where it finds the blob store. The password is a credential: never log
// it.
type Config struct {
	// URL of the coordinator, http(s)://host:port.
	URL string
	// Catalog is the Hive catalog reading the blob store (its S3 file system and file metastore configured on
	// the Trino side; see the README).
	Catalog string
	User    string
	// Password, only over https.
	Password string
	// StoreRoot is the blob store's bucket and prefix as the catalog's file system names them: s3://bucket/prefix.
	StoreRoot string
}

// Engine runs read-only SQL over datasets on Trino.
type Engine struct {
	cfg    Config
	db     *sql.DB
	reg    *Registrar
	tables *tabular.Catalog
	guard  *guard.Guard
	log    *slog.Logger
}

// New connects to Trino (lazily: nothing is sent until a query or Health) and reads tables' schemas from
// tables.
func New(cfg Config, tables *tabular.Catalog, log *slog.Logger) (*Engine, error) {
	if log == nil {
		log = slog.Default()
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, apierr.InvalidArgument("sql.trino.url", "%q is not an http(s)://host:port URL", cfg.URL)
	}
	if cfg.Catalog == "" {
		return nil, apierr.InvalidArgument("sql.trino.catalog", "the catalog reading the blob store is required")
	}
	if !strings.HasPrefix(cfg.StoreRoot, "s3://") {
		return nil, apierr.InvalidArgument("blob.backend", "the trino SQL backend reads the datasets from S3/MinIO: use the s3 blob store")
	}
	if cfg.User == "" {
		cfg.User = "kamld"
	}
	u.User = url.User(cfg.User)
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	}
	tc := &trino.Config{ServerURI: u.String(), Catalog: cfg.Catalog, Source: "kamld", TimeZone: "UTC"}
	connector, err := trino.NewConnector(tc)
	if err != nil {
		return nil, apierr.InvalidArgument("sql.trino", "%v", err)
	}
	db := sql.OpenDB(connector)
	return &Engine{
		cfg: cfg, db: db, tables: tables, log: log,
		reg: NewRegistrar(db, cfg.Catalog, cfg.StoreRoot, log),
		// The registered catalog and schemas are kamld's own: a statement names datasets, never them.
		guard: guard.New(guard.WithReservedSchemas(cfg.Catalog, filesSchema)),
	}, nil
}

// Name implements backend.Backend.
func (e *Engine) Name() string { return "trino" }

// Location implements backend.Backend: the coordinator URL and catalog, without credentials.
func (e *Engine) Location() string { return e.cfg.URL + " catalog " + e.cfg.Catalog }

// Health implements backend.Backend: the coordinator answers a query.
func (e *Engine) Health(ctx context.Context) error {
	var one int
	if err := e.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return mapError(ctx, err, nil, nil)
	}
	return nil
}

// Close implements backend.Backend.
func (e *Engine) Close() error { return e.db.Close() }

// ResultColumn is one column of a result: its name and its type in kamld's SQL dialect.
type ResultColumn struct {
	Name string
	Type string
}

// Rows is a running query's result. Close it; closing before the end cancels the query on Trino.
type Rows struct {
	Columns []ResultColumn
	types   []string // Trino's type names, for value conversion
	rows    *sql.Rows
	ctx     context.Context
	rw      rewritten
	names   []rename
	vals    []any
	ptrs    []any
}

// Query checks sql (one read-only statement over datasets), makes the dataset states it names queryable,
// and starts it on Trino. queryID marks the statement on the coordinator (system.runtime.queries shows it in
// a trailing comment) for operators. Cancelling ctx cancels the query on Trino.
func (e *Engine) Query(ctx context.Context, sqlText, queryID string) (*Rows, error) {
	st, err := e.guard.Check(sqlText)
	if err != nil {
		return nil, guard.AsAPIError(sqlText, err)
	}
	edits, names, err := e.resolve(ctx, st)
	if err != nil {
		return nil, err
	}
	rw := applyEdits(sqlText, edits)
	stmt := rw.sql + "\n-- kamld query " + queryID
	rows, err := e.db.QueryContext(ctx, stmt)
	if err != nil {
		return nil, mapError(ctx, err, rw.position, names)
	}
	r := &Rows{rows: rows, ctx: ctx, rw: rw, names: names}
	cts, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		return nil, mapError(ctx, err, rw.position, names)
	}
	for _, ct := range cts {
		typ := strings.ToLower(ct.DatabaseTypeName())
		r.types = append(r.types, typ)
		r.Columns = append(r.Columns, ResultColumn{Name: ct.Name(), Type: dialectType(typ)})
	}
	r.vals = make([]any, len(cts))
	r.ptrs = make([]any, len(cts))
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r, nil
}

// Next returns the next row as query.proto encodes values, or io.EOF after the last.
func (r *Rows) Next() ([]any, error) {
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return nil, mapError(r.ctx, err, r.rw.position, r.names)
		}
		return nil, io.EOF
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		return nil, mapError(r.ctx, err, r.rw.position, r.names)
	}
	out := make([]any, len(r.vals))
	for i, v := range r.vals {
		out[i] = jsonValue(r.types[i], v)
	}
	return out, nil
}

// Close ends the query; if rows remain, Trino cancels it.
func (r *Rows) Close() error { return r.rows.Close() }

// resolve registers the dataset states the statement reads and returns the edits that name them as
// registered, and the renames that turn registered names in error messages back into the user's.
func (e *Engine) resolve(ctx context.Context, st *guard.Statement) ([]edit, []rename, error) {
	type state struct {
		schema string
		tables []Table
	}
	states := map[string]state{}
	var edits []edit
	var names []rename
	for _, n := range datasetNames(st) {
		s, ok := states[n.text]
		if !ok {
			at, err := e.tables.At(ctx, n.ref.Dataset, n.ref.Ref.String())
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", n.text, err)
			}
			tables := registrable(fromTabular(tabular.Tables(at.Files)))
			schema, err := e.reg.Register(ctx, n.ref.Dataset, tables)
			if err != nil {
				return nil, nil, registrationError(ctx, n.text, err)
			}
			s = state{schema, tables}
			states[n.text] = s
			names = append(names, rename{e.cfg.Catalog + "." + s.schema, quoteIdent(n.text)}, rename{s.schema, quoteIdent(n.text)})
		}
		text := schemaRef(e.cfg.Catalog, s.schema)
		if n.use == asTable {
			if len(s.tables) != 1 {
				return nil, nil, guard.InvalidSQL(st.SQL, n.start, fmt.Sprintf(
					"%s has %d tables; name one, as in %s.%s", quoteIdent(n.text), len(s.tables), quoteIdent(n.text), tableHint(s.tables)))
			}
			text += "." + quoteIdent(lowerIdent(s.tables[0].Name))
		}
		edits = append(edits, edit{n.start, n.end, text})
	}
	return edits, names, nil
}

func tableHint(ts []Table) string {
	if len(ts) == 0 {
		return "<table>"
	}
	return quoteIdent(ts[0].Name)
}

// dialectType names a Trino result type in kamld's SQL dialect (common.proto Column.type).
func dialectType(typ string) string {
	base, _, _ := strings.Cut(typ, "(")
	switch base {
	case "tinyint", "smallint", "integer", "bigint":
		return "BIGINT"
	case "real", "double":
		return "DOUBLE"
	case "varchar", "char", "json", "uuid", "ipaddress":
		return "VARCHAR"
	case "varbinary":
		return "BLOB"
	case "boolean", "date":
		return strings.ToUpper(base)
	case "decimal":
		return strings.ToUpper(typ)
	case "timestamp":
		if strings.HasSuffix(typ, "with time zone") {
			return "TIMESTAMP WITH TIME ZONE"
		}
		return "TIMESTAMP"
	case "time":
		return "TIME"
	case "array":
		return "ARRAY(" + dialectType(strings.TrimSuffix(strings.TrimPrefix(typ, "array("), ")")) + ")"
	}
	return strings.ToUpper(typ)
}

// registrationError reports a failure to register a dataset state: the engine is down (UNAVAILABLE), the
// caller gave up, or Trino refused the tables (FAILED_PRECONDITION: its catalog is not set up as the README
// says, or a file cannot be read as its extracted schema says).
func registrationError(ctx context.Context, name string, err error) error {
	mapped := mapError(ctx, err, nil, nil)
	if ctx.Err() != nil || errors.Is(mapped, apierr.ErrUnavailable) {
		return mapped
	}
	return fmt.Errorf("%s cannot be made queryable on Trino: %v: %w", quoteIdent(name), err, apierr.ErrFailedPrecondition)
}
