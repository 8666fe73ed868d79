package querysvc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/audit"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/query"
	"github.com/kamld/kamld/sidecar/internal/query/guard"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// AuditTable is the name under which platform admins read the audit log in SQL (docs/sql.md): a schema with
// one table, records, so it reads like a dataset with one table (SELECT … FROM kamld_audit). Dataset ids
// have no '_', so no dataset can take the name; a CTE of that name hides it, as it hides a dataset.
const AuditTable = "kamld_audit"

// auditColumns are the table's columns, those of audit.WriteTable's rows.
var auditColumns = []tabular.Column{
	{Name: "time", Type: "TIMESTAMP"}, {Name: "subject", Type: "VARCHAR"}, {Name: "groups", Type: "ARRAY(VARCHAR)"},
	{Name: "kind", Type: "VARCHAR"}, {Name: "method", Type: "VARCHAR"}, {Name: "dataset", Type: "VARCHAR"},
	{Name: "outcome", Type: "VARCHAR"}, {Name: "reason", Type: "VARCHAR"}, {Name: "request_id", Type: "VARCHAR"},
	{Name: "client_address", Type: "VARCHAR"},
}

// WithAuditLog lets admins query the audit log in SQL; without it (audit.mode off) kamld_audit is
// FAILED_PRECONDITION for them.
func WithAuditLog(l *audit.Log) ServiceOption { return func(s *Service) { s.audit = l } }

// auditSchema is the audit log's schema when the statement reads kamld_audit, nil otherwise. For a caller
// who is not a platform admin it is nil as well: the name is then NOT_FOUND (CheckTables), as a dataset the
// caller cannot read is, and the call is audited as the denial it is.
//
// The log is materialised when the statement runs: its records are written as one JSON-lines blob in the
// store (content-addressed, so an unchanged log is written once; unreferenced, so garbage collection removes
// it), which either engine then reads as it reads a dataset's file.
func (s *Service) auditSchema(ctx context.Context, st *guard.Statement) (*query.Schema, error) {
	if !readsAuditTable(st) {
		return nil, nil
	}
	if p, _ := auth.PrincipalFrom(ctx); !p.Admin {
		audit.Denied(ctx, "")
		return nil, nil
	}
	if s.audit == nil {
		return nil, fmt.Errorf("%s: the audit log is off (audit.mode): %w", AuditTable, apierr.ErrFailedPrecondition)
	}
	file, rows, err := s.materialiseAudit(ctx)
	if err != nil {
		return nil, err
	}
	file.Schema = &tabular.FileSchema{Format: tabular.JSONL, Columns: auditColumns, RowCount: rows}
	table := tabular.Table{Name: "records", Path: file.Path, Format: tabular.JSONL, Columns: auditColumns, RowCount: rows, Files: []tabular.File{*file}}
	return &query.Schema{Name: AuditTable, Dataset: AuditTable, Snapshot: file.Digest, Tables: []tabular.Table{table}}, nil
}

// readsAuditTable reports whether kamld_audit stands where a table goes, and is not one of the statement's CTEs.
func readsAuditTable(st *guard.Statement) bool {
	if st.CTEs[AuditTable] {
		return false
	}
	for i, t := range st.Tokens {
		if st.TablePos[i] && t.IsIdent() && strings.EqualFold(t.Text, AuditTable) {
			return true
		}
	}
	return false
}

// materialiseAudit writes the audit log's table as a blob and returns it as a file, with its row count.
func (s *Service) materialiseAudit(ctx context.Context) (*tabular.File, int64, error) {
	tmp, err := os.CreateTemp("", "kamld-audit-*.jsonl")
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", AuditTable, err)
	}
	defer func() { tmp.Close(); os.Remove(tmp.Name()) }()
	h := sha256.New()
	rows, err := audit.WriteTable(ctx, s.datasets.Blobs(), io.MultiWriter(tmp, h))
	if err != nil {
		return nil, 0, fmt.Errorf("%s: reading the audit log: %w", AuditTable, err)
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", AuditTable, err)
	}
	digest := digestOf(h)
	_, err = s.datasets.Blobs().Put(ctx, dataset.BlobKey(digest), tmp, blob.PutOptions{IfNoneMatch: true})
	if err != nil && !errors.Is(err, apierr.ErrAlreadyExists) {
		return nil, 0, fmt.Errorf("%s: %w", AuditTable, err)
	}
	return &tabular.File{Path: "records.jsonl", Digest: digest, Size: size, Format: tabular.JSONL}, rows, nil
}

func digestOf(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }
