package dataset

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/dataset/manifest"
	"github.com/kamld/kamld/sidecar/internal/observe"
)

// GCOptions configure a garbage collection.
type GCOptions struct {
	// Grace: only objects last written more than this long before the collection started are removed. It
	// must be at least twice the engine's refresh age (DefaultRefreshAge), and longer than any one write or
	// snapshot takes.
	Grace time.Duration
	// DryRun reports what would be removed and removes nothing.
	DryRun bool
}

// DefaultGrace is the grace period `kamld gc` uses unless told otherwise.
const DefaultGrace = time.Hour

// GCKind names a kind of object garbage collection deals with.
type GCKind string

// The kinds, in report order.
const (
	GCBlobs    GCKind = "blobs"    // file contents no snapshot, draft or tag refers to
	GCChunks   GCKind = "chunks"   // manifest roots and leaves no snapshot or draft refers to
	GCUploads  GCKind = "uploads"  // staging objects of ingests and presigned uploads
	GCTemp     GCKind = "temp"     // a store's temporary files of writes a killed process never finished
	GCDatasets GCKind = "datasets" // objects of deleted datasets (incarnations no record names)
	GCDraft    GCKind = "draft"    // draft entries of generations the draft no longer names
	GCMarkers  GCKind = "markers"  // sweep markers left by a collection that died
)

// GCKinds lists the kinds in report order.
var GCKinds = []GCKind{GCBlobs, GCChunks, GCUploads, GCTemp, GCDatasets, GCDraft, GCMarkers}

// GCCount counts objects and their bytes.
type GCCount struct {
	Objects int64
	Bytes   int64
}

func (c *GCCount) add(size int64) { c.Objects++; c.Bytes += size }

// GCReport says what a collection did, per kind.
type GCReport struct {
	DryRun bool
	// Start is the store's clock when the collection began; Cutoff is Start minus the grace period.
	Start, Cutoff time.Time
	// Removed counts the objects deleted (or, on a dry run, that would be).
	Removed map[GCKind]GCCount
	// Young counts unreferenced objects kept because they were written within the grace period (or were
	// written again during the sweep by a writer reusing them).
	Young map[GCKind]GCCount
	// InUse counts the blobs and chunks that live datasets refer to.
	InUse map[GCKind]GCCount
}

// gcCandidate is one object the mark phase found unreferenced and old enough.
type gcCandidate struct {
	key    string
	kind   GCKind
	size   int64
	before time.Time // remove only if still last written before this
}

// CollectGarbage removes what no live dataset refers to: blobs, manifest chunks, staging uploads, the objects
// of deleted datasets and of finished draft generations — mark and sweep with a grace period, safe to run
// while sidecars keep writing (doc.go, "Garbage collection"). Bad options are InvalidArgument on "grace".
func (e *Engine) CollectGarbage(ctx context.Context, opts GCOptions) (*GCReport, error) {
	start := time.Now()
	r, err := e.collectGarbage(ctx, opts)
	var freed, used int64
	if r != nil {
		for _, k := range GCKinds {
			freed += r.Removed[k].Bytes
			used += r.InUse[k].Bytes
		}
	}
	observe.GCDone(time.Since(start), opts.DryRun, freed, err)
	if err == nil {
		observe.StorageUsed(used)
	}
	return r, err
}

func (e *Engine) collectGarbage(ctx context.Context, opts GCOptions) (*GCReport, error) {
	if opts.Grace < 2*e.refreshAge {
		return nil, apierr.InvalidArgument("grace", "%s is too short: at least %s (twice the refresh age of writers) is needed so that no write in flight loses its content",
			opts.Grace, 2*e.refreshAge)
	}
	run := randomID()
	start, err := e.storeNow(ctx, run)
	if err != nil {
		return nil, err
	}
	r := &GCReport{DryRun: opts.DryRun, Start: start, Cutoff: start.Add(-opts.Grace),
		Removed: map[GCKind]GCCount{}, Young: map[GCKind]GCCount{}, InUse: map[GCKind]GCCount{}}
	m, err := e.mark(ctx, r.Cutoff)
	if err != nil {
		return nil, fmt.Errorf("garbage collection: marking: %w", err)
	}
	cands, err := e.candidates(ctx, m, r)
	if err != nil {
		return nil, fmt.Errorf("garbage collection: listing: %w", err)
	}
	if err := e.sweepTemp(ctx, r); err != nil {
		return r, fmt.Errorf("garbage collection: temporary files: %w", err)
	}
	if opts.DryRun {
		for _, c := range cands {
			count(r.Removed, c.kind, c.size)
		}
		return r, nil
	}
	if err := e.sweep(ctx, run, cands, r); err != nil {
		return r, fmt.Errorf("garbage collection: sweeping: %w", err)
	}
	return r, nil
}

// sweepTemp has a store that stages writes in temporary files of its own remove those older than the cutoff
// (see blob.TempSweeper): a write killed mid-way leaves one behind, which no key names.
func (e *Engine) sweepTemp(ctx context.Context, r *GCReport) error {
	ts, ok := blob.Capability[blob.TempSweeper](e.blobs)
	if !ok {
		return nil
	}
	removed, young, err := ts.SweepTemp(ctx, r.Cutoff, r.DryRun)
	r.Removed[GCTemp] = GCCount{Objects: removed.Entries, Bytes: removed.Bytes}
	r.Young[GCTemp] = GCCount{Objects: young.Entries, Bytes: young.Bytes}
	return err
}

func count(m map[GCKind]GCCount, k GCKind, size int64) {
	c := m[k]
	c.add(size)
	m[k] = c
}

// storeNow reads the store's clock, which is what object times are in (a sidecar's clock may differ): it
// writes a probe object and reads back its time.
func (e *Engine) storeNow(ctx context.Context, run string) (time.Time, error) {
	key := clockPrefix + run
	if _, err := e.blobs.Put(ctx, key, strings.NewReader(run), blob.PutOptions{IfNoneMatch: true}); err != nil {
		return time.Time{}, err
	}
	defer func() { _ = e.blobs.Delete(context.WithoutCancel(ctx), key, blob.DeleteOptions{}) }()
	info, err := e.blobs.Stat(ctx, key)
	return info.ModTime, err
}

// candidates lists the store and returns the unreferenced objects old enough to remove, counting the rest.
func (e *Engine) candidates(ctx context.Context, m *marks, r *GCReport) ([]gcCandidate, error) {
	expiries, err := e.presignedExpiries(ctx)
	if err != nil {
		return nil, err
	}
	var out []gcCandidate
	for _, prefix := range []string{blobPrefix, manifest.ChunkPrefix, uploadPrefix, "datasets/", gcPrefix} {
		err := e.eachKey(ctx, prefix, func(o blob.Info) error {
			kind, garbage := classify(o.Key, m)
			switch {
			case kind == "":
				return nil // not a key kamld's layout knows: leave it alone
			case !garbage:
				if kind == GCBlobs || kind == GCChunks {
					count(r.InUse, kind, o.Size)
				}
				return nil
			}
			before := r.Cutoff
			if kind == GCMarkers {
				before = r.Start.Add(-sweepStale)
			}
			if exp, ok := expiries[presignedID(o.Key)]; ok && exp.After(r.Cutoff) {
				before = time.Time{} // a presigned upload is kept until its URL expired a grace period ago
			}
			if !o.ModTime.Before(before) {
				count(r.Young, kind, o.Size)
				return nil
			}
			out = append(out, gcCandidate{key: o.Key, kind: kind, size: o.Size, before: before})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// classify names the kind of the object at key ("" for keys outside kamld's layout, which are never touched)
// and whether nothing live refers to it.
func classify(key string, m *marks) (GCKind, bool) {
	seg := strings.Split(key, "/")
	switch {
	case strings.HasPrefix(key, blobPrefix) && len(seg) == 5 && seg[4] == "data" && isHex64(seg[3]):
		return GCBlobs, !m.blobs[seg[3]]
	case strings.HasPrefix(key, manifest.ChunkPrefix) && len(seg) == 4 && isHex64(seg[3]):
		return GCChunks, !m.chunks[seg[3]]
	case strings.HasPrefix(key, uploadPrefix):
		return GCUploads, true
	case strings.HasPrefix(key, "datasets/") && len(seg) >= 4:
		id, uid := seg[1], seg[2]
		if m.live[id] != uid {
			return GCDatasets, true
		}
		if seg[3] == "gens" && len(seg) == 6 {
			return GCDraft, !m.gens[id][seg[4]]
		}
		if seg[3] == "drafts" && len(seg) == 5 { // the draft pointer of a branch deleted before the mark
			return GCDraft, !m.drafts[id]["drafts/"+seg[4]]
		}
		return GCDatasets, false
	case strings.HasPrefix(key, sweepPrefix) || strings.HasPrefix(key, clockPrefix):
		return GCMarkers, true
	}
	return "", false
}

func isHex64(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// presignedID returns the upload id of a presigned upload's key, or "".
func presignedID(key string) string {
	rest, ok := strings.CutPrefix(key, presignPrefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

// presignedExpiries reads when each presigned upload's URL expires.
func (e *Engine) presignedExpiries(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := e.eachKey(ctx, presignPrefix, func(o blob.Info) error {
		if !strings.HasSuffix(o.Key, "/meta") {
			return nil
		}
		var rec presignedUpload
		if _, err := getJSON(ctx, e.blobs, o.Key, &rec); err == nil {
			out[presignedID(o.Key)] = rec.Expires
		} else if !errors.Is(err, apierr.ErrNotFound) && !errors.Is(err, apierr.ErrDataLoss) {
			return err
		}
		return nil
	})
	return out, err
}
