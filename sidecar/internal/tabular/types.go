package tabular

// Column is one column of a tabular file (Column in common.proto).
type Column struct {
	Name string `json:"name"`
	// Type is a SQL type in the dialect both query engines accept (see NormalizeType).
	Type     string       `json:"type"`
	Nullable bool         `json:"nullable,omitempty"`
	Stats    *ColumnStats `json:"stats,omitempty"`
}

// ColumnStats summarizes one column's values (ColumnStats in common.proto).
type ColumnStats struct {
	NullCount        int64    `json:"nulls"`
	Min              string   `json:"min,omitempty"`
	Max              string   `json:"max,omitempty"`
	DistinctEstimate int64    `json:"distinct"`
	Samples          []string `json:"samples,omitempty"`
}

// FileSchema is what extraction learned about one file's content. It depends only on the content (digest) and
// format, never on the path, so it is shared by every path and snapshot holding the same bytes.
type FileSchema struct {
	Format   Format   `json:"format"`
	Columns  []Column `json:"columns"`
	RowCount int64    `json:"rows"`
}

// File is one tabular file of a dataset state and, once extracted, its schema.
type File struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	Format Format `json:"format"`
	// Schema is nil while extraction is pending (skipped by a budget) or failed (Error says why).
	Schema *FileSchema `json:"schema,omitempty"`
	Error  string      `json:"error,omitempty"`
}

// Table is a table as SQL sees it (Table in common.proto): one file, or a folder of same-schema part files.
type Table struct {
	Name     string
	Path     string
	Format   Format
	Columns  []Column
	RowCount int64
	// Files are the files the table reads: one, or the parts of a folder, sorted by path.
	Files []File
}
