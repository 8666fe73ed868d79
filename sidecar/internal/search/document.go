// Package search keeps the search index in step with the dataset store (package searchsvc serves
// kamld.v1.SearchService over the index).
//
// The store is the source of truth (docs/architecture.md); the index is derived from it:
//
//   - Every write that changes what a dataset's document holds goes through the dataset engine, which calls
//     the Syncer (a dataset.Observer) before and after it. Before: a durable "dirty" marker is written to the
//     store under index/dirty/<dataset>/<random>. After: the dataset's document is rebuilt from the store and
//     written to the index, and the marker removed.
//   - If the index is down, the marker stays and the write still succeeds; the Syncer's catch-up loop retries
//     every marker until the index takes it. Markers are per write, so two sidecars never clear each other's.
//   - Reindex rebuilds a new generation of the index from the store and swaps it in without downtime.
package search

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/index"
)

// SchemaFunc returns the columns and total row count of the tabular files of a snapshot, as the metadata
// extraction stored them with it. Nil, or an error, leaves them empty in the document.
type SchemaFunc func(ctx context.Context, datasetID, snapshotID string) (columns []index.Column, rows int64, err error)

// Documents builds index documents from the store.
type Documents struct {
	engine *dataset.Engine
	schema SchemaFunc
}

// NewDocuments reads datasets through engine; schema, when not nil, supplies columns and row counts.
func NewDocuments(engine *dataset.Engine, schema SchemaFunc) *Documents {
	return &Documents{engine: engine, schema: schema}
}

// listPage is how many files one listing call returns while collecting formats.
const listPage = 1000

// Build returns the document of dataset id; an error wrapping apierr.ErrNotFound when it does not exist.
func (b *Documents) Build(ctx context.Context, id string) (*index.Document, error) {
	d, err := b.engine.GetDataset(ctx, id)
	if err != nil {
		return nil, err
	}
	return b.FromDataset(ctx, d)
}

// FromDataset completes a dataset the caller already read with its formats, columns and rows.
func (b *Documents) FromDataset(ctx context.Context, d *dataset.Dataset) (*index.Document, error) {
	doc := &index.Document{
		ID: d.ID, Description: d.Description, Tags: d.Tags, Labels: d.Labels, Owner: d.Owner,
		Bytes: d.Stats.TotalBytes, Files: d.Stats.FileCount, CreateTime: d.CreateTime, UpdateTime: d.UpdateTime,
		Snapshot: d.HeadSnapshot, Sequence: d.SnapshotCount, Version: version(d), Readers: access.DocTerms(d.ID, d.Access),
	}
	if d.HeadSnapshot == "" {
		return doc, nil
	}
	formats := map[string]bool{}
	token := ""
	for {
		list, err := b.engine.ListFiles(ctx, d.ID, d.HeadSnapshot, dataset.ListFilesOptions{
			Recursive: true, Page: dataset.Page{Size: listPage, Token: token},
		})
		if err != nil {
			return nil, err
		}
		for _, f := range list.Files {
			formats[FormatOf(f.Path, f.MediaType)] = true
		}
		if token = list.NextToken; token == "" {
			break
		}
	}
	for f := range formats {
		doc.Formats = append(doc.Formats, f)
	}
	slices.Sort(doc.Formats)
	if b.schema != nil {
		if cols, rows, err := b.schema(ctx, d.ID, d.HeadSnapshot); err == nil {
			doc.Columns, doc.Rows = cols, rows
		}
	}
	return doc, nil
}

// version identifies the store state a document reflects: the dataset's etag (metadata) and head snapshot.
func version(d *dataset.Dataset) string { return d.Etag + " " + d.HeadSnapshot }

// EtagOf recovers the dataset etag from a document version.
func EtagOf(v string) string {
	etag, _, _ := strings.Cut(v, " ")
	return etag
}

// formatByExt names the formats a data scientist searches for; other files are named by their extension.
var formatByExt = map[string]string{
	".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
	".txt": "text", ".md": "text", ".arrow": "arrow", ".feather": "arrow", ".avro": "avro", ".orc": "orc",
	".npy": "numpy", ".npz": "numpy", ".zip": "zip", ".gz": "gzip", ".tar": "tar", ".pdf": "pdf",
	".yaml": "yaml", ".yml": "yaml", ".ipynb": "notebook",
}

// FormatOf names the format of one file for the format: filter: csv, tsv, parquet, jsonl, json, image, …
func FormatOf(p, mediaType string) string {
	if strings.HasPrefix(mediaType, "image/") {
		return "image"
	}
	ext := strings.ToLower(path.Ext(p))
	if f, ok := formatByExt[ext]; ok {
		return f
	}
	if e := strings.TrimPrefix(ext, "."); e != "" && len(e) <= 10 && isAlnum(e) {
		return e
	}
	return "other"
}

func isAlnum(s string) bool {
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
