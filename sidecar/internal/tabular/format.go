package tabular

import (
	"path"
	"strings"
)

// Format is a tabular file format.
type Format string

// The formats kamld reads as tables.
const (
	CSV     Format = "csv"
	TSV     Format = "tsv"
	Parquet Format = "parquet"
	JSONL   Format = "jsonl"
)

var byExtension = map[string]Format{
	".csv": CSV, ".tsv": TSV, ".tab": TSV, ".parquet": Parquet, ".pq": Parquet,
	".jsonl": JSONL, ".ndjson": JSONL,
}

var byMediaType = map[string]Format{
	"text/csv": CSV, "text/tab-separated-values": TSV, "application/vnd.apache.parquet": Parquet,
	"application/jsonl": JSONL, "application/x-ndjson": JSONL, "application/x-jsonlines": JSONL,
}

// DetectFormat names the tabular format of a file from its extension, or failing that its media type; ok is false
// for files that are not tabular. The extension wins: it is what the user chose, and media types recorded at
// upload time may be generic.
func DetectFormat(p, mediaType string) (f Format, ok bool) {
	if f, ok := byExtension[strings.ToLower(path.Ext(p))]; ok {
		return f, true
	}
	mt, _, _ := strings.Cut(mediaType, ";")
	f, ok = byMediaType[strings.TrimSpace(strings.ToLower(mt))]
	return f, ok
}

// Extension is the extension the format's files usually carry, for local copies (DuckDB needs none, but a
// readable name helps whoever looks at the cache).
func (f Format) Extension() string {
	if f == JSONL {
		return ".jsonl"
	}
	return "." + string(f)
}
