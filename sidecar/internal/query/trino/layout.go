package trino

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
)

// Format is a tabular file format, as sidecar/internal/tabular names them.
type Format string

// The formats Trino reads in place.
const (
	CSV     Format = "csv"
	TSV     Format = "tsv"
	Parquet Format = "parquet"
	JSONL   Format = "jsonl"
)

// Column is one column of a table: its name and its type in kamld's SQL dialect (BOOLEAN, BIGINT, DOUBLE,
// DECIMAL(p,s), VARCHAR, DATE, TIMESTAMP, TIMESTAMP WITH TIME ZONE, TIME, BLOB, ARRAY(t), STRUCT(…)).
type Column struct {
	Name string
	Type string
}

// Table is one table of a dataset state as SQL sees it: a file, or a folder of same-schema part files.
type Table struct {
	// Name is the SQL table name ("iris", "raw__2024").
	Name   string
	Format Format
	// Columns in file order, from the extracted schema.
	Columns []Column
	// Digests are the blobs the table reads ("sha256:<hex>" or bare hex), one per file, in path order.
	Digests []string

	// root is the store the blobs are in (set by the Registrar): two stores' identical files are two raw tables.
	root string
}

// blobFolder is the s3:// folder holding exactly the blob with this digest, under root (s3://bucket/prefix).
func blobFolder(root, digest string) string {
	hex := strings.TrimPrefix(digest, "sha256:")
	return strings.TrimSuffix(root, "/") + "/" + path.Join("blobs/sha256", hex[:2], hex)
}

// validDigest reports whether d is a sha256 digest, bare or "sha256:"-prefixed.
func validDigest(d string) bool {
	h := strings.TrimPrefix(d, "sha256:")
	if len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil && strings.ToLower(h) == h
}

// rawTableName names the raw table reading what t reads, as t reads it: a digest of its store, format, columns
// and blobs (not of its name, so the same content under any name or snapshot is one raw table).
func rawTableName(t Table) string {
	h := sha256.New()
	fmt.Fprintf(h, "v1\x00%s\x00%s\x00", t.root, t.Format)
	for _, c := range t.Columns {
		fmt.Fprintf(h, "%s\x00%s\x00", c.Name, c.Type)
	}
	for _, d := range t.Digests {
		fmt.Fprintf(h, "%s\x00", strings.TrimPrefix(d, "sha256:"))
	}
	return "t_" + hex.EncodeToString(h.Sum(nil))[:32]
}

// viewName names the view over t's raw table, which gives its columns their names and extracted types.
func viewName(t Table) string { return "v_" + strings.TrimPrefix(rawTableName(t), "t_") }
