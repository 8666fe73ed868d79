package trino

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/trinodb/trino-go-client/trino"
	"golang.org/x/sync/errgroup"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/observe"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// Config says which Trino to use and where it finds the blob store. The password is a credential: never log
// it.
type Config struct {
	// URL of the coordinator, http(s)://host:port.
	URL string
	// Catalog is the Hive catalog reading the blob store (its S3 file system and file metastore configured on
	// the Trino side; see docs/sql.md).
	Catalog string
	User    string
	// Password, only over https.
	Password string
	// StoreRoot is the blob store's bucket and prefix as the catalog's file system names them:
	// s3://bucket/prefix.
	StoreRoot string
}

// Engine is the query.Engine on Trino.
type Engine struct {
	cfg Config
	db  *sql.DB
	reg *Registrar
	log *slog.Logger
}

var _ query.Engine = (*Engine)(nil)

// New connects to Trino lazily: nothing is sent until a query or Health.
func New(cfg Config, log *slog.Logger) (*Engine, error) {
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
		return nil, apierr.InvalidArgument("blob.backend", "the trino SQL backend reads the datasets in place on S3/MinIO: use the s3 blob store")
	}
	if cfg.User == "" {
		cfg.User = "kamld"
	}
	u.User = url.User(cfg.User)
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	}
	// Zoneless timestamps are read in UTC, as DuckDB's are.
	tc := &trino.Config{ServerURI: u.String(), Catalog: cfg.Catalog, Source: "kamld", TimeZone: "UTC"}
	if observe.TracingEnabled() { // client spans and traceparent on every request to the coordinator
		tc.HTTPClient = &http.Client{Transport: observe.HTTPTransport(nil), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	connector, err := trino.NewConnector(tc)
	if err != nil {
		return nil, apierr.InvalidArgument("sql.trino", "%v", err)
	}
	db := sql.OpenDB(connector)
	return &Engine{cfg: cfg, db: db, log: log, reg: NewRegistrar(db, cfg.Catalog, cfg.StoreRoot, log)}, nil
}

// Guard is the statement guard for this engine: the default one, with the catalog and the schema of raw
// tables reserved, so that a statement names datasets only.
func (e *Engine) Guard() *guard.Guard {
	return guard.New(guard.WithReservedSchemas(e.cfg.Catalog, filesSchema))
}

// Name implements backend.Backend.
func (e *Engine) Name() string { return "trino" }

// Location implements backend.Backend: the coordinator URL and catalog, without credentials.
func (e *Engine) Location() string { return e.cfg.URL + " (catalog " + e.cfg.Catalog + ")" }

// Health implements backend.Backend: the coordinator answers a query.
func (e *Engine) Health(ctx context.Context) error {
	var one int
	if err := e.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		if mapped := mapError(ctx, err, nil, nil); errors.Is(mapped, apierr.ErrUnavailable) {
			return mapped
		}
		return fmt.Errorf("trino at %s: %w: %v", e.cfg.URL, apierr.ErrUnavailable, err)
	}
	return nil
}

// Close implements backend.Backend.
func (e *Engine) Close() error { return e.db.Close() }

// Query implements query.Engine: it registers the dataset states the statement reads (once per state; see
// the package doc), rewrites their names to the registered views and starts the statement on Trino. The
// query id is in a trailing comment, so that system.runtime.queries shows which kamld query it is.
func (e *Engine) Query(ctx context.Context, req query.Request) (query.Rows, error) {
	views, err := e.register(ctx, req.Schemas)
	if err != nil {
		return nil, err
	}
	rw, err := query.Rewrite(req.Statement, req.Schemas, func(s *query.Schema, t *tabular.Table) string {
		return views[s][strings.ToLower(t.Name)]
	})
	if err != nil {
		return nil, err
	}
	names := renames(e.cfg.Catalog, rw)
	rows, err := e.db.QueryContext(ctx, rw.SQL+"\n-- kamld query "+req.ID)
	if err != nil {
		return nil, mapError(ctx, err, rw, names)
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		_ = rows.Close()
		return nil, mapError(ctx, err, rw, names)
	}
	r := &resultRows{rows: rows, rw: rw, names: names}
	for _, ct := range cts {
		typ := strings.ToLower(ct.DatabaseTypeName())
		if p, s, ok := ct.DecimalSize(); ok && typ == "decimal" {
			// The driver names the type without its precision and scale, which the result's type needs.
			typ = fmt.Sprintf("decimal(%d,%d)", p, s)
		}
		r.types = append(r.types, typ)
		r.cols = append(r.cols, query.Column{Name: ct.Name(), Type: dialectType(typ)})
	}
	r.vals = make([]any, len(cts))
	r.ptrs = make([]any, len(cts))
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r, nil
}

// register registers the dataset states the statement reads, concurrently (each waits on Trino), and returns
// their tables' view names by schema.
func (e *Engine) register(ctx context.Context, schemas []query.Schema) (map[*query.Schema]map[string]string, error) {
	views := make(map[*query.Schema]map[string]string, len(schemas))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for i := range schemas {
		s := &schemas[i]
		g.Go(func() error {
			v, err := e.reg.Register(gctx, s.Dataset, fromTabular(s.Tables))
			if err != nil {
				return registrationError(gctx, s.Name, err)
			}
			mu.Lock()
			views[s] = v
			mu.Unlock()
			return nil
		})
	}
	return views, g.Wait()
}

// renames turn the engine's names in error messages back into the client's: a view's full name (as Trino
// prints it, unquoted, and as placed in the statement) into the reference as written.
func renames(catalog string, rw *query.Rewritten) []rename {
	var out []rename
	for _, u := range rw.Used {
		out = append(out, rename{u.Name, u.Original})
		if _, v, ok := strings.Cut(u.Name, quoteIdent(filesSchema)+"."); ok {
			out = append(out, rename{catalog + "." + filesSchema + "." + strings.Trim(v, `"`), u.Original})
		}
	}
	return out
}

// resultRows is a running query's result.
type resultRows struct {
	cols  []query.Column
	types []string // Trino's type names, for value conversion
	rows  *sql.Rows
	rw    *query.Rewritten
	names []rename
	vals  []any
	ptrs  []any
	done  bool
}

func (r *resultRows) Columns() []query.Column { return r.cols }

// Next implements query.Rows. The query runs under the context given to Query (the same as Next's in the
// service); its end cancels the query on Trino.
func (r *resultRows) Next(ctx context.Context, n int) ([][]any, error) {
	var out [][]any
	for len(out) < n && !r.done {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !r.rows.Next() {
			r.done = true
			if err := r.rows.Err(); err != nil {
				return nil, mapError(ctx, err, r.rw, r.names)
			}
			break
		}
		if err := r.rows.Scan(r.ptrs...); err != nil {
			return nil, mapError(ctx, err, r.rw, r.names)
		}
		row := make([]any, len(r.vals))
		for i, v := range r.vals {
			row[i] = normalize(r.types[i], v)
		}
		out = append(out, row)
	}
	return out, nil
}

// Close ends the query; if rows remain, trino-go-client cancels it on the coordinator.
func (r *resultRows) Close() error { return r.rows.Close() }

// registrationError reports a failure to register a dataset state: the engine is down (UNAVAILABLE), the
// caller gave up, or Trino refused the tables (FAILED_PRECONDITION: its catalog is not set up as docs/sql.md
// says, or a file cannot be read as its extracted schema says).
func registrationError(ctx context.Context, name string, err error) error {
	mapped := mapError(ctx, err, nil, nil)
	if ctx.Err() != nil || errors.Is(mapped, apierr.ErrUnavailable) {
		return mapped
	}
	return fmt.Errorf("%s cannot be made queryable on Trino: %v: %w", quoteIdent(name), err, apierr.ErrFailedPrecondition)
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
