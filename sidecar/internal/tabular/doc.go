// Package tabular reads the tabular files of datasets (CSV, TSV, Parquet, JSON lines) with DuckDB in process:
// it detects their format, gives DuckDB a local path for a blob (the fs store's own file, read in place, or a
// digest-keyed local copy of a MinIO/S3 object), and extracts each file's schema, exact row count and per-column
// statistics. A Catalog keeps those schemas per dataset state, computed once per snapshot from what changed since
// its parent and stored beside it in the blob store as derived data (rebuildable, never the source of truth).
package tabular
