// Package trino is kamld's SQL backend on Trino (docs/sql.md): it makes a dataset's tables at a ref queryable
// in a Trino Hive catalog that reads the blob store (MinIO/S3) in place, rewrites the user's names
// ("iris@v3".iris) to the registered ones, and runs the statement through trino-go-client.
//
// # Registration: tables point at blobs, no byte is copied
//
// kamld stores each file's content once, at blobs/sha256/<2>/<64>/data, under a key prefix of its own
// (sidecar/internal/dataset). A Hive external table's LOCATION is a folder whose files it reads, so a table
// can point at exactly one blob, in place:
//
//   - Raw tables, in the schema "kamld_files", one per distinct (format, columns, blobs): a single file is an
//     unpartitioned external table whose LOCATION is the blob's folder; a folder of same-schema part files is a
//     table partitioned by a hidden column, one partition per part, each partition's LOCATION a blob folder
//     (system.register_partition). A raw table's name is a digest of what it reads, so every snapshot, tag or
//     draft whose table has the same content uses the same raw table: snapshots that share files share them in
//     Trino too.
//   - Views, next to their raw tables: "v_<key>", the same key as the raw table's. Each selects from its raw
//     table and gives the columns their names and the types of the extracted schema (CSV is read as text by
//     Hive's CSV format, so the view casts it; Parquet and JSON lines are typed by the file). What a view
//     selects depends only on what its key is a digest of, so every state with that content (iris@v3 and
//     iris@prod, a snapshot that only changed an image, a renamed table) shares it; the rewrite maps each
//     table of a statement to its view. There is no schema per state: a new state costs DDL only for content
//     that no state had before.
//
// Registration happens lazily, on the first query that names a dataset state, and is idempotent (CREATE …
// IF NOT EXISTS, CREATE OR REPLACE VIEW), so any number of sidecars may race to do it; a sidecar remembers
// the views it has seen complete. Its cost per table a sidecar has not seen: CREATE TABLE IF NOT EXISTS (and a
// register_partition per part it lacks), then CREATE OR REPLACE VIEW, every table's pair beside the others'.
// Metastore writes only, no data read or written. A view is created last, so an existing view means its table
// was registered whole. The Hive file metastore keeps these definitions as small JSON objects in its own folder (hive.metastore.catalog.dir), outside kamld's bucket or prefix: the catalog is
// derived state and can be dropped and rebuilt by re-registering.
package trino
