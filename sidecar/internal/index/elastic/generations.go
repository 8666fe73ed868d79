package elastic

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/kamld/kamld/sidecar/internal/index"
)

// firstGeneration is the name suffix of the generation created when the alias does not exist yet. A fixed
// name makes concurrent first starts of several sidecars safe: one creates it (with the alias, in the same
// call), the others find it exists.
const firstGeneration = "-g0"

// generationName names a rebuilt generation after the time it started; names only need to be unique.
func (x *Index) generationName(now time.Time) string {
	return x.alias + "-g" + strconv.FormatInt(now.UnixMilli(), 10)
}

// ensureAlias makes sure the alias exists, creating the first generation behind it if not. It remembers
// success; after an answer saying the alias is gone, forget() makes the next call check again.
func (x *Index) ensureAlias(ctx context.Context) error {
	x.readyMu.Lock()
	defer x.readyMu.Unlock()
	if x.ready {
		return nil
	}
	if _, err := x.aliasTargets(ctx); err == nil {
		x.ready = true
		return nil
	} else if !isNotFound(err) {
		return err
	}
	err := x.createGeneration(ctx, x.alias+firstGeneration, true)
	if err != nil && !isType(err, "resource_already_exists_exception") {
		return fmt.Errorf("creating the first index generation: %w", err)
	}
	x.ready = true
	return nil
}

// forget makes the next call check the alias again.
func (x *Index) forget() {
	x.readyMu.Lock()
	x.ready = false
	x.readyMu.Unlock()
}

// createGeneration creates a versioned index with the mappings, pointed to by the alias when withAlias.
func (x *Index) createGeneration(ctx context.Context, name string, withAlias bool) error {
	body := indexBody()
	if withAlias {
		body["aliases"] = map[string]any{x.alias: map[string]any{"is_write_index": true}}
	}
	q := url.Values{"wait_for_active_shards": {"1"}}
	return x.call(ctx, req{method: http.MethodPut, path: pathOf(name), query: q, body: body}, nil)
}

// aliasTargets lists the indices the alias points at (normally one); a missing alias is a 404 *esError.
func (x *Index) aliasTargets(ctx context.Context) ([]string, error) {
	var got map[string]any
	if err := x.call(ctx, req{method: http.MethodGet, path: pathOf("_alias", x.alias)}, &got); err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(got)), nil
}

func isNotFound(err error) bool {
	var e *esError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// Rebuild implements index.Index: fill a new generation, then move the alias to it in one atomic _aliases
// call and delete the old generation. Writes through this Index during the fill reach both generations.
func (x *Index) Rebuild(ctx context.Context, fill func(ctx context.Context, w index.Writer) error) error {
	if err := x.ensureAlias(ctx); err != nil {
		return err
	}
	gen := x.generationName(time.Now())
	if err := x.createGeneration(ctx, gen, false); err != nil {
		return fmt.Errorf("creating index generation %s: %w", gen, err)
	}
	x.rebuildMu.Lock()
	x.rebuilding[gen] = true
	x.rebuildMu.Unlock()
	defer func() {
		x.rebuildMu.Lock()
		delete(x.rebuilding, gen)
		x.rebuildMu.Unlock()
	}()

	if err := fill(ctx, &generationWriter{x: x, name: gen}); err != nil {
		// The fill failed: drop the new generation and keep serving the current one. A fresh context, so a
		// cancelled rebuild still cleans up.
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return errors.Join(err, x.deleteIndex(cleanup, gen))
	}
	return x.swap(ctx, gen)
}

// swap points the alias at gen only, atomically, and deletes the generations it pointed at before.
func (x *Index) swap(ctx context.Context, gen string) error {
	// The fill wrote without refreshing; make all of it searchable before anyone can search it.
	if err := x.call(ctx, req{method: http.MethodPost, path: pathOf(gen, "_refresh")}, nil); err != nil {
		return fmt.Errorf("refreshing %s: %w", gen, err)
	}
	old, err := x.aliasTargets(ctx)
	if err != nil && !isNotFound(err) {
		return err
	}
	actions := []any{}
	for _, o := range old {
		if o != gen {
			actions = append(actions, map[string]any{"remove": map[string]any{"index": o, "alias": x.alias}})
		}
	}
	actions = append(actions, map[string]any{"add": map[string]any{"index": gen, "alias": x.alias, "is_write_index": true}})
	if err := x.call(ctx, req{method: http.MethodPost, path: "/_aliases", body: map[string]any{"actions": actions}}, nil); err != nil {
		return fmt.Errorf("moving alias %s to %s: %w", x.alias, gen, err)
	}
	var errs []error
	for _, o := range old {
		if o != gen {
			errs = append(errs, x.deleteIndex(ctx, o))
		}
	}
	// The swap happened; a leftover old generation only costs space, so report it without failing.
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("rebuilt into %s, but deleting the previous generation failed: %w", gen, err)
	}
	return nil
}

func (x *Index) deleteIndex(ctx context.Context, name string) error {
	err := x.call(ctx, req{method: http.MethodDelete, path: pathOf(name)}, nil)
	if isNotFound(err) {
		return nil
	}
	return err
}

// rebuildTargets lists the generations being filled, which writes must reach besides the alias.
func (x *Index) rebuildTargets() []string {
	x.rebuildMu.RLock()
	defer x.rebuildMu.RUnlock()
	return slices.Sorted(maps.Keys(x.rebuilding))
}

// generationWriter writes into one generation, for Rebuild's fill.
type generationWriter struct {
	x    *Index
	name string
}

func (w *generationWriter) Upsert(ctx context.Context, docs ...*index.Document) error {
	return w.x.bulkUpsert(ctx, w.name, false, docs)
}

func (w *generationWriter) Delete(ctx context.Context, ids ...string) error {
	return w.x.bulkDelete(ctx, w.name, false, ids)
}
