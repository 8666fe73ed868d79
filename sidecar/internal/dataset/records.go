package dataset

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// Record is what a dataset list sorts and filters on before it describes a page: the stored record of a live
// dataset, without the head's statistics (those cost reads of their own, see GetDataset).
type Record struct {
	ID         string
	Owner      string
	CreateTime time.Time
	// UpdateTime is the record's; a dataset's UpdateTime is the later of this and its head snapshot's time.
	UpdateTime time.Time
	Access     access.Policy
}

// recordCache holds every dataset record read so far with the version it was read at. The store stays the
// source of truth: each ListRecords lists the record keys with their versions and reads only the records
// whose version moved, so writes by this process and by other sidecars on the same store are both seen.
type recordCache struct {
	mu      sync.Mutex
	entries map[string]cachedRecord // by id
}

type cachedRecord struct {
	version string
	rec     metaRecord
}

// recordReaders bounds the reads of changed records one ListRecords makes at once.
const recordReaders = 8

// ListRecords returns the record of every live dataset the caller can read, by id. Its cost is one List per
// thousand datasets plus one read per record that changed since the previous call (all of them the first
// time), instead of the several reads per dataset that GetDataset makes.
func (e *Engine) ListRecords(ctx context.Context) ([]Record, error) {
	listed, err := e.listRecordKeys(ctx)
	if err != nil {
		return nil, err
	}
	stale := e.records.stale(listed)
	fresh, err := e.readRecords(ctx, stale)
	if err != nil {
		return nil, err
	}
	current := e.records.update(listed, fresh)
	out := make([]Record, 0, len(current))
	for _, id := range slices.Sorted(maps.Keys(listed)) {
		c, ok := current[id]
		if !ok || c.rec.Deleted || authorize(ctx, id, &c.rec, access.Reader) != nil {
			continue
		}
		out = append(out, Record{ID: id, Owner: c.rec.Owner, CreateTime: c.rec.CreateTime, UpdateTime: c.rec.UpdateTime,
			Access: c.rec.policy()})
	}
	return out, nil
}

// listRecordKeys lists the record keys: id → version.
func (e *Engine) listRecordKeys(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	after := ""
	for {
		p, err := e.blobs.List(ctx, blob.ListOptions{Prefix: metaPrefix, StartAfter: after})
		if err != nil {
			return nil, err
		}
		for _, o := range p.Objects {
			out[strings.TrimPrefix(o.Key, metaPrefix)] = o.Version
			after = o.Key
		}
		if !p.More {
			return out, nil
		}
	}
}

// readRecords reads the named records, a few at a time. A record deleted since it was listed is left out.
func (e *Engine) readRecords(ctx context.Context, ids []string) (map[string]cachedRecord, error) {
	var mu sync.Mutex
	out := make(map[string]cachedRecord, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(recordReaders)
	for _, id := range ids {
		g.Go(func() error {
			var m metaRecord
			ver, err := getJSON(gctx, e.blobs, metaKey(id), &m)
			if errors.Is(err, apierr.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			mu.Lock()
			out[id] = cachedRecord{version: ver, rec: m}
			mu.Unlock()
			return nil
		})
	}
	return out, g.Wait()
}

// stale returns the listed ids whose cached record is missing or of another version.
func (c *recordCache) stale(listed map[string]string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for id, ver := range listed {
		if got, ok := c.entries[id]; !ok || got.version != ver {
			out = append(out, id)
		}
	}
	return out
}

// update stores the fresh records, forgets ids no longer listed and returns a copy of the listed entries.
func (c *recordCache) update(listed map[string]string, fresh map[string]cachedRecord) map[string]cachedRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cachedRecord{}
	}
	for id, r := range fresh {
		c.entries[id] = r
	}
	out := make(map[string]cachedRecord, len(listed))
	for id := range c.entries {
		if _, ok := listed[id]; !ok {
			delete(c.entries, id)
			continue
		}
		out[id] = c.entries[id]
	}
	return out
}
