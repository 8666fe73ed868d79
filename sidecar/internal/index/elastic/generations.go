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

// firstGeneration is the name suffix of the generation created when the aliases do not exist yet. A fixed
// name makes concurrent first starts of several sidecars safe: one creates it (with both aliases, in the same
// call), the others find it exists.
const firstGeneration = "-g0"

// writeAliasSuffix names the second alias. The read alias (the configured name) is what searches use; the
// write alias is where a rebuild's new generation receives writes. Every write goes to both: normally they
// point at the same generation; while a rebuild fills a new one, the read alias stays on the old generation
// and the write alias points at the new one, so the writes of every sidecar reach both, and none is lost
// when the read alias moves.
const writeAliasSuffix = "-write"

// generationName names a rebuilt generation after the time it started; names only need to be unique.
func (x *Index) generationName(now time.Time) string {
	return x.alias + "-g" + strconv.FormatInt(now.UnixMilli(), 10)
}

// ensureAlias makes sure both aliases exist, creating the first generation behind them if there is none. It
// remembers success; after an answer saying an alias is gone, forget() makes the next call check again.
func (x *Index) ensureAlias(ctx context.Context) error {
	x.readyMu.Lock()
	defer x.readyMu.Unlock()
	if x.ready {
		return nil
	}
	read, err := x.aliasTargets(ctx, x.alias)
	switch {
	case isNotFound(err):
		err = x.createGeneration(ctx, x.alias+firstGeneration, x.alias, x.writeAlias)
		if err != nil && !isType(err, "resource_already_exists_exception") {
			return fmt.Errorf("creating the first index generation: %w", err)
		}
		x.ready = true
		return nil
	case err != nil:
		return err
	}
	// The read alias exists; an index made by an older kamld, or a crash, may have left no write alias.
	if _, err := x.aliasTargets(ctx, x.writeAlias); isNotFound(err) && len(read) > 0 {
		err = x.moveAlias(ctx, x.writeAlias, nil, read[0])
		if err != nil {
			return fmt.Errorf("adding alias %s: %w", x.writeAlias, err)
		}
	} else if err != nil {
		return err
	}
	x.ready = true
	return nil
}

// forget makes the next call check the aliases again.
func (x *Index) forget() {
	x.readyMu.Lock()
	x.ready = false
	x.readyMu.Unlock()
}

// createGeneration creates a versioned index with the mappings, with the given aliases.
func (x *Index) createGeneration(ctx context.Context, name string, aliases ...string) error {
	body := indexBody()
	if len(aliases) > 0 {
		a := map[string]any{}
		for _, alias := range aliases {
			a[alias] = map[string]any{}
		}
		body["aliases"] = a
	}
	q := url.Values{"wait_for_active_shards": {"1"}}
	return x.call(ctx, req{method: http.MethodPut, path: pathOf(name), query: q, body: body}, nil)
}

// aliasTargets lists the indices an alias points at (normally one); a missing alias is a 404 *esError.
func (x *Index) aliasTargets(ctx context.Context, alias string) ([]string, error) {
	var got map[string]any
	if err := x.call(ctx, req{method: http.MethodGet, path: pathOf("_alias", alias)}, &got); err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(got)), nil
}

// moveAlias points alias at to instead of from, in one atomic _aliases call.
func (x *Index) moveAlias(ctx context.Context, alias string, from []string, to string) error {
	actions := []any{}
	for _, f := range from {
		if f != to {
			actions = append(actions, map[string]any{"remove": map[string]any{"index": f, "alias": alias}})
		}
	}
	actions = append(actions, map[string]any{"add": map[string]any{"index": to, "alias": alias}})
	return x.call(ctx, req{method: http.MethodPost, path: "/_aliases", body: map[string]any{"actions": actions}}, nil)
}

func isNotFound(err error) bool {
	var e *esError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// Rebuild implements index.Index: create a new generation, point the write alias at it (so every sidecar's
// writes reach it from now on, as well as the current generation), fill it, then move the read alias to it
// and delete the old generation. If the fill fails, the write alias goes back and the new generation is
// dropped. One rebuild at a time: two concurrent rebuilds would each move the write alias.
func (x *Index) Rebuild(ctx context.Context, fill func(ctx context.Context, w index.Writer) error) error {
	if err := x.ensureAlias(ctx); err != nil {
		return err
	}
	current, err := x.aliasTargets(ctx, x.alias)
	if err != nil {
		return err
	}
	writeTargets, err := x.aliasTargets(ctx, x.writeAlias)
	if err != nil {
		return err
	}
	gen := x.generationName(time.Now())
	if err := x.createGeneration(ctx, gen); err != nil {
		return fmt.Errorf("creating index generation %s: %w", gen, err)
	}
	if err := x.moveAlias(ctx, x.writeAlias, writeTargets, gen); err != nil {
		return errors.Join(fmt.Errorf("pointing %s at %s: %w", x.writeAlias, gen, err), x.discard(ctx, gen, nil))
	}
	if err := fill(ctx, &generationWriter{x: x, name: gen}); err != nil {
		return errors.Join(err, x.discard(ctx, gen, current))
	}
	return x.swap(ctx, gen, current)
}

// discard undoes a rebuild: the write alias returns to the current generation and gen is deleted. It uses a
// fresh context, so a cancelled rebuild still cleans up.
func (x *Index) discard(ctx context.Context, gen string, current []string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var errs []error
	if len(current) > 0 {
		errs = append(errs, x.moveAlias(ctx, x.writeAlias, []string{gen}, current[0]))
	}
	return errors.Join(append(errs, x.deleteIndex(ctx, gen))...)
}

// swap makes gen searchable, moves the read alias to it atomically, and deletes the previous generations.
func (x *Index) swap(ctx context.Context, gen string, old []string) error {
	// The fill wrote without refreshing; make all of it searchable before anyone can search it.
	if err := x.call(ctx, req{method: http.MethodPost, path: pathOf(gen, "_refresh")}, nil); err != nil {
		return fmt.Errorf("refreshing %s: %w", gen, err)
	}
	if err := x.moveAlias(ctx, x.alias, old, gen); err != nil {
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

// generationWriter writes into one generation, for Rebuild's fill.
type generationWriter struct {
	x    *Index
	name string
}

func (w *generationWriter) Upsert(ctx context.Context, docs ...*index.Document) error {
	return w.x.bulkUpsert(ctx, []string{w.name}, false, docs)
}

func (w *generationWriter) Delete(ctx context.Context, ids ...string) error {
	return w.x.bulkDelete(ctx, []string{w.name}, false, ids)
}
