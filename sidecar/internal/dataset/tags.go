package dataset

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// tagRecord is a tag pointer, datasets/<id>/<uid>/tags/<tag>, changed only by compare-and-swap; deleting
// writes a tombstone.
type tagRecord struct {
	Snapshot string    `json:"snapshot"`
	Author   string    `json:"author,omitempty"`
	Time     time.Time `json:"time"`
	Deleted  bool      `json:"deleted,omitempty"`
}

// CreateTag points tagID at the snapshot ref names. ErrAlreadyExists when the tag exists and overwrite is
// false; with overwrite the tag moves.
func (e *Engine) CreateTag(ctx context.Context, id, tagID, ref, author string, overwrite bool) (*Tag, error) {
	if err := resource.ValidateTagID(tagID); err != nil {
		return nil, apierr.InvalidArgument("tag_id", "%v", err)
	}
	d, err := e.open(ctx, access.Writer, "parent", id)
	if err != nil {
		return nil, err
	}
	if err := d.noBranchNamed(ctx, tagID); err != nil {
		return nil, err
	}
	r, err := parseRef("tag.snapshot", ref)
	if err != nil {
		return nil, err
	}
	snap, err := d.resolve(ctx, "tag.snapshot", r)
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < e.retries; attempt++ {
		var old tagRecord
		ver, err := getJSON(ctx, e.blobs, d.keys.tag(tagID), &old)
		if err != nil && !errors.Is(err, apierr.ErrNotFound) {
			return nil, err
		}
		if ver != "" && !old.Deleted && !overwrite {
			return nil, fmt.Errorf("tag %q of dataset %q: %w", tagID, id, apierr.ErrAlreadyExists)
		}
		rec := tagRecord{Snapshot: snap.ID, Author: author, Time: e.clock()}
		_, err = putJSON(ctx, e.blobs, d.keys.tag(tagID), rec, blob.SwapOptions(ver))
		if lostRace(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &Tag{ID: tagID, Snapshot: rec.Snapshot, Author: rec.Author, CreateTime: rec.Time}, nil
	}
	return nil, abortedAfter("create tag", e.retries)
}

// DeleteTag removes a tag; the snapshot stays. ErrNotFound when there is no such tag.
func (e *Engine) DeleteTag(ctx context.Context, id, tagID string) error {
	if err := resource.ValidateTagID(tagID); err != nil {
		return apierr.InvalidArgument("name", "tag id %v", err)
	}
	d, err := e.open(ctx, access.Writer, "name", id)
	if err != nil {
		return err
	}
	for attempt := 0; attempt < e.retries; attempt++ {
		var old tagRecord
		ver, err := getJSON(ctx, e.blobs, d.keys.tag(tagID), &old)
		if errors.Is(err, apierr.ErrNotFound) || (err == nil && old.Deleted) {
			return fmt.Errorf("tag %q of dataset %q: %w", tagID, id, apierr.ErrNotFound)
		}
		if err != nil {
			return err
		}
		_, err = putJSON(ctx, e.blobs, d.keys.tag(tagID), tagRecord{Time: e.clock(), Deleted: true}, blob.PutOptions{IfMatch: ver})
		if lostRace(err) {
			continue
		}
		return err
	}
	return abortedAfter("delete tag", e.retries)
}

// ListTags lists a dataset's tags by id.
func (e *Engine) ListTags(ctx context.Context, id string, page Page) ([]*Tag, string, error) {
	d, err := e.open(ctx, access.Reader, "parent", id)
	if err != nil {
		return nil, "", err
	}
	cur, err := page.open("tags", id)
	if err != nil {
		return nil, "", err
	}
	all, err := d.allTags(ctx, cur.after)
	if err != nil {
		return nil, "", err
	}
	if len(all) > cur.size {
		return all[:cur.size], cur.next(all[cur.size-1].ID), nil
	}
	return all, "", nil
}

// allTags reads the live tags after the given tag id.
func (d *ds) allTags(ctx context.Context, after string) ([]*Tag, error) {
	var out []*Tag
	start := ""
	if after != "" {
		start = d.keys.tag(after)
	}
	for {
		p, err := d.e.blobs.List(ctx, blob.ListOptions{Prefix: d.keys.tags(), StartAfter: start})
		if err != nil {
			return nil, err
		}
		recs := make([]tagRecord, len(p.Objects))
		errs := make([]error, len(p.Objects))
		parallel(len(p.Objects), func(i int) { _, errs[i] = getJSON(ctx, d.e.blobs, p.Objects[i].Key, &recs[i]) })
		for i, o := range p.Objects {
			start = o.Key
			if errs[i] != nil || recs[i].Deleted {
				continue
			}
			out = append(out, &Tag{ID: strings.TrimPrefix(o.Key, d.keys.tags()), Snapshot: recs[i].Snapshot, Author: recs[i].Author, CreateTime: recs[i].Time})
		}
		if !p.More || len(p.Objects) == 0 {
			return out, nil
		}
	}
}

func (d *ds) tagsBySnapshot(ctx context.Context) (map[string][]string, error) {
	all, err := d.allTags(ctx, "")
	if err != nil {
		return nil, err
	}
	m := map[string][]string{}
	for _, t := range all {
		m[t.Snapshot] = append(m[t.Snapshot], t.ID)
	}
	return m, nil
}

func (d *ds) withTags(ctx context.Context, s *Snapshot) (*Snapshot, error) {
	m, err := d.tagsBySnapshot(ctx)
	if err != nil {
		return nil, err
	}
	s.Tags = m[s.ID]
	return s, nil
}
