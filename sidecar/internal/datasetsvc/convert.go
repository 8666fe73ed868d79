// Package datasetsvc serves DatasetService, SnapshotService and FileService over the dataset engine: it
// parses resource names, maps requests to engine calls and engine results to messages. Rules live in the
// engine and in package resource; nothing here decides what is valid beyond the shape of names.
package datasetsvc

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// each converts every element of in with f, keeping nil for an empty input (as proto fields expect).
func each[T, U any](in []T, f func(T) U) []U {
	var out []U
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func snapshotName(ds, id string) string {
	if id == "" {
		return ""
	}
	return resource.DatasetName(ds) + "/snapshots/" + id
}

func toStats(s dataset.Stats) *kamldv1.Stats {
	return &kamldv1.Stats{FileCount: s.FileCount, TotalBytes: s.TotalBytes}
}

func toDataset(d *dataset.Dataset) *kamldv1.Dataset {
	return &kamldv1.Dataset{
		Name:            resource.DatasetName(d.ID),
		Description:     d.Description,
		Tags:            d.Tags,
		Labels:          d.Labels,
		Owner:           d.Owner,
		CreateTime:      ts(d.CreateTime),
		UpdateTime:      ts(d.UpdateTime),
		Stats:           toStats(d.Stats),
		HeadSnapshot:    snapshotName(d.ID, d.HeadSnapshot),
		SnapshotCount:   d.SnapshotCount,
		HasDraftChanges: d.HasDraftChanges,
		Etag:            d.Etag,
	}
}

func toSnapshot(s *dataset.Snapshot) *kamldv1.Snapshot {
	out := &kamldv1.Snapshot{
		Name:         snapshotName(s.Dataset, s.ID),
		Id:           s.ID,
		Sequence:     s.Sequence,
		Version:      s.Version(),
		Parent:       snapshotName(s.Dataset, s.Parent),
		Message:      s.Message,
		Author:       s.Author,
		CreateTime:   ts(s.CreateTime),
		Stats:        toStats(s.Stats),
		ManifestRoot: s.ManifestRoot,
		Tags:         s.Tags,
		MergeParent:  snapshotName(s.Dataset, s.MergeParent),
		Branch:       s.Branch,
	}
	if l := s.Lineage; l != nil {
		out.Lineage = &kamldv1.Lineage{Job: l.Job, Inputs: l.Inputs, Image: l.Image, CodeDigest: l.CodeDigest}
	}
	return out
}

func toTag(ds string, t *dataset.Tag) *kamldv1.Tag {
	return &kamldv1.Tag{
		Name:       resource.DatasetName(ds) + "/tags/" + t.ID,
		Snapshot:   snapshotName(ds, t.Snapshot),
		Author:     t.Author,
		CreateTime: ts(t.CreateTime),
	}
}

func toFileInfo(f *dataset.FileInfo) *kamldv1.FileInfo {
	if f == nil {
		return nil
	}
	return &kamldv1.FileInfo{Path: f.Path, Size: f.Size, Digest: f.Digest, MediaType: f.MediaType, ModifyTime: ts(f.ModifyTime), Etag: f.ETag}
}

func toFileChange(c *dataset.FileChange) *kamldv1.FileChange {
	return &kamldv1.FileChange{Path: c.Path, Type: changeTypes[c.Type], From: toFileInfo(c.From), To: toFileInfo(c.To)}
}

func toDiffStats(s dataset.DiffStats) *kamldv1.DiffStats {
	return &kamldv1.DiffStats{Added: s.Added, Removed: s.Removed, Modified: s.Modified, BytesDelta: s.BytesDelta}
}

var changeTypes = map[dataset.ChangeType]kamldv1.ChangeType{
	dataset.Added:    kamldv1.ChangeType_CHANGE_TYPE_ADDED,
	dataset.Removed:  kamldv1.ChangeType_CHANGE_TYPE_REMOVED,
	dataset.Modified: kamldv1.ChangeType_CHANGE_TYPE_MODIFIED,
}

// resolvedName names what a ref resolved to: a snapshot, or the draft.
func resolvedName(ds, resolved string) string {
	if resolved == dataset.DraftRef {
		return resource.DatasetName(ds) + "/snapshots/draft"
	}
	return snapshotName(ds, resolved)
}

// TablesToProto converts tables to their API form.
func TablesToProto(ts []tabular.Table) []*kamldv1.Table {
	var out []*kamldv1.Table
	for _, t := range ts {
		out = append(out, &kamldv1.Table{Name: t.Name, Path: t.Path, Format: string(t.Format), Columns: columnsToProto(t.Columns), RowCount: t.RowCount})
	}
	return out
}

// columnsToProto converts columns to their API form.
func columnsToProto(cs []tabular.Column) []*kamldv1.Column {
	var out []*kamldv1.Column
	for _, c := range cs {
		pc := &kamldv1.Column{Name: c.Name, Type: c.Type, Nullable: c.Nullable}
		if s := c.Stats; s != nil {
			pc.Stats = &kamldv1.ColumnStats{NullCount: s.NullCount, Min: s.Min, Max: s.Max, DistinctEstimate: s.DistinctEstimate, Samples: s.Samples}
		}
		out = append(out, pc)
	}
	return out
}
