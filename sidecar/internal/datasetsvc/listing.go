package datasetsvc

import (
	"cmp"
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/apierr"
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

// allDatasets lists every live dataset.
func (s *Datasets) allDatasets(ctx context.Context) ([]*dataset.Dataset, error) {
	var out []*dataset.Dataset
	page := dataset.Page{Size: dataset.MaxPageSize}
	for {
		list, next, err := s.engine.ListDatasets(ctx, page)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
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
