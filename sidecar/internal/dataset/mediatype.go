package dataset

import (
	"mime"
	"net/http"
	"path"
	"strings"
)

// Media types for the formats a dataset workbench meets most, which Go's mime table (built from the OS's)
// may not know or may name differently from machine to machine.
var knownTypes = map[string]string{
	".csv":     "text/csv",
	".tsv":     "text/tab-separated-values",
	".parquet": "application/vnd.apache.parquet",
	".jsonl":   "application/jsonl",
	".ndjson":  "application/x-ndjson",
	".json":    "application/json",
	".txt":     "text/plain; charset=utf-8",
	".md":      "text/markdown",
	".png":     "image/png",
	".jpg":     "image/jpeg",
	".jpeg":    "image/jpeg",
	".gif":     "image/gif",
	".webp":    "image/webp",
	".svg":     "image/svg+xml",
	".npy":     "application/x-npy",
	".npz":     "application/zip",
	".zip":     "application/zip",
	".gz":      "application/gzip",
	".tar":     "application/x-tar",
	".arrow":   "application/vnd.apache.arrow.file",
	".feather": "application/vnd.apache.arrow.file",
	".avro":    "application/avro",
	".orc":     "application/x-orc",
	".pdf":     "application/pdf",
	".yaml":    "application/yaml",
	".yml":     "application/yaml",
	".pt":      "application/octet-stream",
	".ipynb":   "application/x-ipynb+json",
}

// sniffLen is how many leading bytes guessMediaType looks at (what http.DetectContentType reads).
const sniffLen = 512

// guessMediaType names a file's media type from its extension, and failing that from its first bytes.
// Extensions win because sniffing cannot tell CSV from plain text or Parquet from any binary.
func guessMediaType(p string, head []byte) string {
	ext := strings.ToLower(path.Ext(p))
	if t, ok := knownTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); ext != "" && t != "" {
		return t
	}
	if len(head) >= 4 && string(head[:4]) == "PAR1" {
		return "application/vnd.apache.parquet"
	}
	return http.DetectContentType(head)
}
