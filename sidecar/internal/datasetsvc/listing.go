package datasetsvc

import (
	"cmp"
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/dataset"
)

// ListDatasets reads every dataset record to sort them and to count them (total_size): one read per dataset,
// which suits the catalogs one sidecar serves. Free text, filters and large catalogs are SearchService's.

// datasetOrders are the orders dataset.proto documents for ListDatasets, each with the name as tie-breaker.
var datasetOrders = map[string]func(a, b *dataset.Dataset) int{
	"":     byName,
	"name": byName,
	"update_time desc": func(a, b *dataset.Dataset) int {
		return cmp.Or(b.UpdateTime.Compare(a.UpdateTime), byName(a, b))
	},
	"create_time desc": func(a, b *dataset.Dataset) int {
		return cmp.Or(b.CreateTime.Compare(a.CreateTime), byName(a, b))
	},
	"size desc": func(a, b *dataset.Dataset) int {
		return cmp.Or(cmp.Compare(b.Stats.TotalBytes, a.Stats.TotalBytes), byName(a, b))
	},
}

func byName(a, b *dataset.Dataset) int { return cmp.Compare(a.ID, b.ID) }

// accessFilters are ListDatasets' access filters over the datasets the caller can read (the engine already
// leaves out the others). Without a principal (the sidecar itself) nothing is "mine" or "shared".
var accessFilters = map[string]func(ctx context.Context, d *dataset.Dataset) bool{
	"": func(context.Context, *dataset.Dataset) bool { return true },
	"mine": func(ctx context.Context, d *dataset.Dataset) bool {
		p, ok := auth.PrincipalFrom(ctx)
		return ok && access.Owns(p, d.Access)
	},
	"shared": func(ctx context.Context, d *dataset.Dataset) bool {
		p, ok := auth.PrincipalFrom(ctx)
		return ok && access.SharedWith(p, d.Access)
	},
}

// listKey is what a page token is bound to: the order, and the access filter when there is one.
func listKey(order, filter string) string {
	if filter == "" {
		return order
	}
	return order + " access=" + filter
}

// allDatasets lists every live dataset the caller can read that keep accepts.
func (s *Datasets) allDatasets(ctx context.Context, keep func(context.Context, *dataset.Dataset) bool) ([]*dataset.Dataset, error) {
	var out []*dataset.Dataset
	page := dataset.Page{Size: dataset.MaxPageSize}
	for {
		list, next, err := s.engine.ListDatasets(ctx, page)
		if err != nil {
			return nil, err
		}
		for _, d := range list {
			if keep(ctx, d) {
				out = append(out, d)
			}
		}
		if next == "" {
			return out, nil
		}
		page.Token = next
	}
}

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
