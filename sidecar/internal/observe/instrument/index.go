package instrument

import (
	"context"

	"github.com/kamld/kamld/sidecar/internal/index"
)

type searchIndex struct {
	index.Index
	name string
}

// Index decorates a search index.
func Index(ix index.Index) index.Index { return &searchIndex{Index: ix, name: ix.Name()} }

func (x *searchIndex) Unwrap() any { return x.Index }

func (x *searchIndex) Upsert(ctx context.Context, docs ...*index.Document) error {
	return call0(ctx, x.name, "upsert", func(ctx context.Context) error { return x.Index.Upsert(ctx, docs...) })
}

func (x *searchIndex) Delete(ctx context.Context, ids ...string) error {
	return call0(ctx, x.name, "delete", func(ctx context.Context) error { return x.Index.Delete(ctx, ids...) })
}

func (x *searchIndex) Get(ctx context.Context, id string) (*index.Document, error) {
	return call(ctx, x.name, "get", func(ctx context.Context) (*index.Document, error) { return x.Index.Get(ctx, id) })
}

func (x *searchIndex) Search(ctx context.Context, req *index.Request) (*index.Result, error) {
	return call(ctx, x.name, "search", func(ctx context.Context) (*index.Result, error) { return x.Index.Search(ctx, req) })
}

func (x *searchIndex) Suggest(ctx context.Context, field, prefix string, limit int, readers index.Readers) ([]index.Count, error) {
	return call(ctx, x.name, "suggest", func(ctx context.Context) ([]index.Count, error) {
		return x.Index.Suggest(ctx, field, prefix, limit, readers)
	})
}

func (x *searchIndex) Rebuild(ctx context.Context, fill func(ctx context.Context, w index.Writer) error) error {
	return call0(ctx, x.name, "rebuild", func(ctx context.Context) error { return x.Index.Rebuild(ctx, fill) })
}

func (x *searchIndex) Health(ctx context.Context) error {
	return call0(ctx, x.name, "health", func(ctx context.Context) error { return x.Index.Health(ctx) })
}
