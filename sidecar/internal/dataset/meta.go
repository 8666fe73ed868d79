package dataset

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Metadata is the user-editable part of a dataset.
type Metadata struct {
	Description string
	Tags        []string
	Labels      map[string]string
	Owner       string
	// Visibility is the new dataset's visibility (CreateDataset only; "" is access.DefaultVisibility).
	// Policies change through SetAccess.
	Visibility access.Visibility
}

// Metadata field names for UpdateDataset's mask.
const (
	FieldDescription = "description"
	FieldTags        = "tags"
	FieldLabels      = "labels"
	FieldOwner       = "owner"
)

// metaRecord is the stored dataset record, meta/datasets/<id>: one object, changed only by compare-and-swap,
// whose version is the dataset's etag. Deleting writes a tombstone (S3 has no conditional delete).
type metaRecord struct {
	UID         string            `json:"uid"`
	Description string            `json:"description,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Owner       string            `json:"owner,omitempty"`
	CreateTime  time.Time         `json:"createTime"`
	UpdateTime  time.Time         `json:"updateTime"`
	Deleted     bool              `json:"deleted,omitempty"`
	// Access is the policy beside Owner (access.go); nil for a dataset from before access control.
	Access *accessRecord `json:"access,omitempty"`
}

// ds is an open dataset: its id, current incarnation and keys.
type ds struct {
	e    *Engine
	id   string
	meta metaRecord
	ver  string
	keys dsKeys
	// branch is the branch this handle reads and writes (resource.DefaultBranch unless the id said
	// "<dataset>@<branch>"); draftKey is that branch's draft pointer.
	branch   string
	draftKey string
}

// open reads a live dataset's record and checks that the caller has the role need on it (authorize: the one
// access check of every dataset operation). id may name a branch, "<dataset>@<branch>": the handle's draft
// and head are then that branch's (ErrNotFound when it does not exist).
func (e *Engine) open(ctx context.Context, need access.Role, field, id string) (*ds, error) {
	id, branch, onBranch := strings.Cut(id, "@")
	if err := validateDatasetID(field, id); err != nil {
		return nil, err
	}
	if onBranch {
		if err := resource.ValidateBranchName(branch); err != nil {
			return nil, apierr.InvalidArgument(field, "branch %v", err)
		}
	}
	var m metaRecord
	ver, err := getJSON(ctx, e.blobs, metaKey(id), &m)
	if errors.Is(err, apierr.ErrNotFound) || (err == nil && m.Deleted) {
		return nil, fmt.Errorf("dataset %q: %w", id, apierr.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if err := authorize(ctx, id, &m, need); err != nil {
		return nil, err
	}
	d := &ds{e: e, id: id, meta: m, ver: ver, keys: newDSKeys(id, m.UID)}
	d.branch, d.draftKey = resource.DefaultBranch, d.keys.draft()
	if !onBranch || branch == resource.DefaultBranch {
		return d, nil
	}
	return d.onBranch(ctx, branch)
}

// CreateDataset creates an empty dataset: no snapshots, an empty draft. ErrAlreadyExists when the id is taken.
func (e *Engine) CreateDataset(ctx context.Context, id string, m Metadata) (*Dataset, error) {
	if err := validateDatasetID("dataset_id", id); err != nil {
		return nil, err
	}
	if err := validateMeta(m); err != nil {
		return nil, err
	}
	done, err := e.changing(ctx, id)
	if err != nil {
		return nil, err
	}
	defer done()
	var old metaRecord
	ver, err := getJSON(ctx, e.blobs, metaKey(id), &old)
	switch {
	case err == nil && !old.Deleted:
		return nil, fmt.Errorf("dataset %q: %w", id, apierr.ErrAlreadyExists)
	case err != nil && !errors.Is(err, apierr.ErrNotFound):
		return nil, err
	}
	now := e.clock()
	rec := metaRecord{UID: randomID(), Description: m.Description, Tags: slices.Clone(m.Tags), Labels: maps.Clone(m.Labels),
		Owner: m.Owner, CreateTime: now, UpdateTime: now}
	if m.Visibility != "" {
		rec.setPolicy(access.Policy{Owner: m.Owner, Visibility: m.Visibility})
	}
	if _, err := putJSON(ctx, e.blobs, metaKey(id), rec, blob.SwapOptions(ver)); err != nil {
		if lostRace(err) {
			return nil, fmt.Errorf("dataset %q: %w", id, apierr.ErrAlreadyExists)
		}
		return nil, err
	}
	return e.GetDataset(ctx, id)
}

// GetDataset returns a dataset with the stats of its head and whether its draft has changes.
func (e *Engine) GetDataset(ctx context.Context, id string) (*Dataset, error) {
	d, err := e.open(ctx, access.Reader, "name", id)
	if err != nil {
		return nil, err
	}
	return d.describe(ctx)
}

func (d *ds) describe(ctx context.Context) (*Dataset, error) {
	m := d.meta
	out := &Dataset{ID: d.id, Description: m.Description, Tags: m.Tags, Labels: m.Labels, Owner: m.Owner,
		CreateTime: m.CreateTime, UpdateTime: m.UpdateTime, Etag: d.ver, Access: m.policy()}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	view, err := d.draftView(ctx)
	if err != nil {
		return nil, err
	}
	h := view.head
	out.HeadSnapshot, out.SnapshotCount = h.ID, h.depth()
	out.Stats = Stats{FileCount: h.Files, TotalBytes: h.Bytes}
	if h.Time.After(out.UpdateTime) {
		out.UpdateTime = h.Time
	}
	out.HasDraftChanges = view.tree.Digest() != h.rootOrEmpty()
	return out, nil
}

// ListDatasets lists datasets by id.
func (e *Engine) ListDatasets(ctx context.Context, page Page) ([]*Dataset, string, error) {
	cur, err := page.open("datasets")
	if err != nil {
		return nil, "", err
	}
	var out []*Dataset
	after := cur.after
	if after != "" {
		after = metaKey(after)
	}
	for {
		p, err := e.blobs.List(ctx, blob.ListOptions{Prefix: metaPrefix, StartAfter: after, Limit: min(cur.size+1, blob.MaxListLimit)})
		if err != nil {
			return nil, "", err
		}
		for _, o := range p.Objects {
			after = o.Key
			id := strings.TrimPrefix(o.Key, metaPrefix)
			d, err := e.GetDataset(ctx, id)
			if errors.Is(err, apierr.ErrNotFound) {
				continue // deleted (a tombstone), or deleted meanwhile
			}
			if err != nil {
				return nil, "", err
			}
			if len(out) == cur.size {
				return out, cur.next(out[len(out)-1].ID), nil
			}
			out = append(out, d)
		}
		if !p.More {
			return out, "", nil
		}
	}
}

// UpdateDataset changes the metadata fields named in mask (FieldDescription, FieldTags, FieldLabels,
// FieldOwner; empty means all four). With etag set it fails with ErrAborted unless the dataset's etag still
// matches; without, it retries lost races itself.
func (e *Engine) UpdateDataset(ctx context.Context, id string, m Metadata, mask []string, etag string) (*Dataset, error) {
	if len(mask) == 0 {
		mask = []string{FieldDescription, FieldTags, FieldLabels, FieldOwner}
	}
	for _, f := range mask {
		if !slices.Contains([]string{FieldDescription, FieldTags, FieldLabels, FieldOwner}, f) {
			return nil, apierr.InvalidArgument("update_mask", "%q is not an updatable field (description, tags, labels, owner)", f)
		}
	}
	if err := validateMeta(m); err != nil {
		return nil, err
	}
	change := func(rec *metaRecord) error {
		if slices.Contains(mask, FieldOwner) && m.Owner != rec.Owner {
			// Handing a dataset over is an admin's; rewriting the same owner (a full update) is not.
			if err := authorize(ctx, id, rec, access.Admin); err != nil {
				return err
			}
		}
		for _, f := range mask {
			switch f {
			case FieldDescription:
				rec.Description = m.Description
			case FieldTags:
				rec.Tags = slices.Clone(m.Tags)
			case FieldLabels:
				rec.Labels = maps.Clone(m.Labels)
			case FieldOwner:
				rec.Owner = m.Owner
			}
		}
		return nil
	}
	if _, err := e.changeRecord(ctx, access.Writer, "dataset.name", id, etag, "dataset", change); err != nil {
		return nil, err
	}
	return e.GetDataset(ctx, id)
}

// changeRecord applies change to dataset id's record by compare-and-swap, for a caller with the role need.
// With etag set it fails with ErrAborted unless the record's version still matches (what names the part
// changed, in that error); without, it retries lost races itself. It returns the changed dataset's handle.
func (e *Engine) changeRecord(ctx context.Context, need access.Role, field, id, etag, what string, change func(*metaRecord) error) (*ds, error) {
	done, err := e.changing(ctx, id)
	if err != nil {
		return nil, err
	}
	defer done()
	for attempt := 0; attempt < e.retries; attempt++ {
		d, err := e.open(ctx, need, field, id)
		if err != nil {
			return nil, err
		}
		if etag != "" && etag != d.ver {
			return nil, fmt.Errorf("%s %q was changed since etag %s: %w", what, id, etag, apierr.ErrAborted)
		}
		rec := d.meta
		if err := change(&rec); err != nil {
			return nil, err
		}
		rec.UpdateTime = e.clock()
		ver, err := putJSON(ctx, e.blobs, metaKey(id), rec, blob.PutOptions{IfMatch: d.ver})
		if lostRace(err) {
			if etag != "" {
				return nil, fmt.Errorf("%s %q was changed concurrently: %w", what, id, apierr.ErrAborted)
			}
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		d.meta, d.ver = rec, ver
		return d, nil
	}
	return nil, abortedAfter("update "+what, e.retries)
}

// DeleteDataset deletes a dataset: its record becomes a tombstone (by compare-and-swap, so a concurrent update
// with an etag sees the change), then its incarnation's objects are removed, best effort — leftovers are
// unreachable (a new dataset of the same id gets a new incarnation) and garbage collection sweeps them. File
// contents and manifest chunks are shared by digest and reclaimed only by garbage collection.
func (e *Engine) DeleteDataset(ctx context.Context, id, etag string) error {
	done, err := e.changing(ctx, id)
	if err != nil {
		return err
	}
	defer done()
	for attempt := 0; attempt < e.retries; attempt++ {
		d, err := e.open(ctx, access.Admin, "name", id)
		if err != nil {
			return err
		}
		if etag != "" && etag != d.ver {
			return fmt.Errorf("dataset %q was changed since etag %s: %w", id, etag, apierr.ErrAborted)
		}
		tomb := metaRecord{UID: d.meta.UID, CreateTime: d.meta.CreateTime, UpdateTime: e.clock(), Deleted: true}
		_, err = putJSON(ctx, e.blobs, metaKey(id), tomb, blob.PutOptions{IfMatch: d.ver})
		if lostRace(err) {
			if etag != "" {
				return fmt.Errorf("dataset %q was changed concurrently: %w", id, apierr.ErrAborted)
			}
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		return e.deletePrefix(ctx, d.keys.root)
	}
	return abortedAfter("delete dataset", e.retries)
}

func (e *Engine) deletePrefix(ctx context.Context, prefix string) error {
	for {
		p, err := e.blobs.List(ctx, blob.ListOptions{Prefix: prefix})
		if err != nil {
			return err
		}
		for _, o := range p.Objects {
			if err := e.blobs.Delete(ctx, o.Key, blob.DeleteOptions{}); err != nil {
				return err
			}
		}
		if len(p.Objects) == 0 || !p.More {
			return nil
		}
	}
}
