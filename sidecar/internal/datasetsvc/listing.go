package datasetsvc

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/sync/errgroup"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// ListDatasets sorts and filters the datasets' stored records (dataset.Engine.ListRecords: a key listing and
// the records that changed since the last call) and describes only the page it returns, so a first page costs
// the same for ten datasets or ten thousand. The orders by update time and by size need every dataset's head
// and describe them all; free text and large catalogs are SearchService's.

// listOrder is one order dataset.proto documents for ListDatasets, with the name as tie-breaker: either over
// records alone (cheap), or over described datasets (one GetDataset per dataset).
type listOrder struct {
	records  func(a, b dataset.Record) int
	datasets func(a, b *dataset.Dataset) int
}

var byNameOrder = listOrder{records: func(a, b dataset.Record) int { return cmp.Compare(a.ID, b.ID) }}

var datasetOrders = map[string]listOrder{
	"":     byNameOrder,
	"name": byNameOrder,
	"create_time desc": {records: func(a, b dataset.Record) int {
		return cmp.Or(b.CreateTime.Compare(a.CreateTime), cmp.Compare(a.ID, b.ID))
	}},
	"update_time desc": {datasets: func(a, b *dataset.Dataset) int {
		return cmp.Or(b.UpdateTime.Compare(a.UpdateTime), byName(a, b))
	}},
	"size desc": {datasets: func(a, b *dataset.Dataset) int {
		return cmp.Or(cmp.Compare(b.Stats.TotalBytes, a.Stats.TotalBytes), byName(a, b))
	}},
}

func byName(a, b *dataset.Dataset) int { return cmp.Compare(a.ID, b.ID) }

// accessFilters are ListDatasets' access filters over the datasets the caller can read (ListRecords already
// leaves out the others). Without a principal (the sidecar itself) nothing is "mine" or "shared".
var accessFilters = map[string]func(ctx context.Context, pol access.Policy) bool{
	"": func(context.Context, access.Policy) bool { return true },
	"mine": func(ctx context.Context, pol access.Policy) bool {
		p, ok := auth.PrincipalFrom(ctx)
		return ok && access.Owns(p, pol)
	},
	"shared": func(ctx context.Context, pol access.Policy) bool {
		p, ok := auth.PrincipalFrom(ctx)
		return ok && access.SharedWith(p, pol)
	},
}

// idFilter returns ListDatasets' filter test: everything for "", else a case-insensitive substring of the id.
func idFilter(filter string) (func(id string) bool, error) {
	if len(filter) > resource.MaxIDLength {
		return nil, apierr.InvalidArgument("filter", "is %d characters long; at most %d (a dataset id's length)", len(filter), resource.MaxIDLength)
	}
	if i := strings.IndexFunc(filter, unicode.IsControl); i >= 0 {
		return nil, apierr.InvalidArgument("filter", "has a control character at byte %d", i)
	}
	want := strings.ToLower(filter)
	return func(id string) bool { return strings.Contains(id, want) }, nil
}

// listKey is what a page token is bound to: the order, and the access and id filters when there are any.
func listKey(order, accessFilter, filter string) string {
	key := order
	if accessFilter != "" {
		key += " access=" + accessFilter
	}
	if filter != "" {
		key += " filter=" + strings.ToLower(filter)
	}
	return key
}

// listPage returns the page [offset, offset+size) of the datasets the records name, in order, and the count.
func (s *Datasets) listPage(ctx context.Context, recs []dataset.Record, order listOrder, offset, size int) ([]*dataset.Dataset, int, error) {
	if order.records != nil {
		slices.SortStableFunc(recs, order.records)
		start := min(offset, len(recs))
		page, err := s.describe(ctx, recs[start:min(start+size, len(recs))])
		return page, len(recs), err
	}
	all, err := s.describe(ctx, recs)
	if err != nil {
		return nil, 0, err
	}
	slices.SortStableFunc(all, order.datasets)
	start := min(offset, len(all))
	return all[start:min(start+size, len(all))], len(all), nil
}

// describe reads each record's dataset, a few at a time (each is several small reads); one deleted since it
// was listed is left out.
func (s *Datasets) describe(ctx context.Context, recs []dataset.Record) ([]*dataset.Dataset, error) {
	out := make([]*dataset.Dataset, len(recs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(describers)
	for i, r := range recs {
		g.Go(func() error {
			d, err := s.engine.GetDataset(gctx, r.ID)
			if errors.Is(err, apierr.ErrNotFound) {
				return nil
			}
			out[i] = d
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(out, func(d *dataset.Dataset) bool { return d == nil }), nil
}

// describers bounds the datasets one ListDatasets describes at once.
const describers = 8

// A page token is the offset of the next page in the sorted list, bound to the order it was made for.
func listToken(offset int, order string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset) + "\x00" + order))
}

func parseListToken(token, order string) (int, error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	off, tokOrder, found := strings.Cut(string(raw), "\x00")
	n, aerr := strconv.Atoi(off)
	switch {
	case err != nil || !found || aerr != nil || n < 0:
		return 0, apierr.InvalidArgument("page_token", "not a page token of ListDatasets")
	case tokOrder != order:
		return 0, apierr.InvalidArgument("page_token", "the token is for order_by %q, not %q", tokOrder, order)
	}
	return n, nil
}
