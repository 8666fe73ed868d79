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
	ctx, done := op(ctx, x.name, "upsert")
	err := x.Index.Upsert(ctx, docs...)
	done(err)
	return err
}

func (x *searchIndex) Delete(ctx context.Context, ids ...string) error {
	ctx, done := op(ctx, x.name, "delete")
	err := x.Index.Delete(ctx, ids...)
	done(err)
	return err
}

func (x *searchIndex) Get(ctx context.Context, id string) (*index.Document, error) {
	ctx, done := op(ctx, x.name, "get")
	d, err := x.Index.Get(ctx, id)
	done(err)
	return d, err
}

func (x *searchIndex) Search(ctx context.Context, req *index.Request) (*index.Result, error) {
	ctx, done := op(ctx, x.name, "search")
	r, err := x.Index.Search(ctx, req)
	done(err)
	return r, err
}

func (x *searchIndex) Suggest(ctx context.Context, field, prefix string, limit int) ([]index.Count, error) {
	ctx, done := op(ctx, x.name, "suggest")
	c, err := x.Index.Suggest(ctx, field, prefix, limit)
	done(err)
	return c, err
}

func (x *searchIndex) Rebuild(ctx context.Context, fill func(ctx context.Context, w index.Writer) error) error {
	ctx, done := op(ctx, x.name, "rebuild")
	err := x.Index.Rebuild(ctx, fill)
	done(err)
	return err
}

func (x *searchIndex) Health(ctx context.Context) error {
	ctx, done := op(ctx, x.name, "health")
	err := x.Index.Health(ctx)
	done(err)
	return err
}
