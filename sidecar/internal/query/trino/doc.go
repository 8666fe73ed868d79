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
//   - Views, in one schema per dataset state: "<dataset>_<key>", key being a digest of the state's table list.
//     Each view selects from its raw table and gives the columns their names and the types of the extracted
//     schema (CSV is read as text by Hive's CSV format, so the view casts it; Parquet and JSON lines are
//     typed by the file). Two refs naming identical tables (iris@v3 and iris@prod, or a snapshot that only
//     changed an image) share the schema.
//
// Registration happens lazily, on the first query that names a dataset state, and is idempotent (CREATE …
// IF NOT EXISTS, CREATE OR REPLACE VIEW), so any number of sidecars may race to do it; a sidecar remembers
// the states it has seen registered. Its cost per new state: one CREATE SCHEMA, one CREATE VIEW per table,
// and for each table whose content is new, one CREATE TABLE plus one register_partition per part — metastore
// writes only, no data read or written. The Hive file metastore keeps these definitions as small JSON
// objects in its own folder (hive.metastore.catalog.dir), outside kamld's bucket or prefix: the catalog is
// derived state and can be dropped and rebuilt by re-registering.
package trino
