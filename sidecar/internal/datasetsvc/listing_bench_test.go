package datasetsvc

import (
	"context"
	"fmt"
	"testing"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/dataset"
)

// BenchmarkListDatasetsFirstPage: the panel's first page (100 by name) of 1,000 datasets, with the record
// cache warm as it is after the sidecar's first list.
func BenchmarkListDatasetsFirstPage(b *testing.B) {
	store, err := fs.New(b.TempDir(), fs.WithFsync(false))
	if err != nil {
		b.Fatal(err)
	}
	engine := dataset.New(store)
	ctx := context.Background()
	for i := range 1000 {
		if _, err := engine.CreateDataset(ctx, fmt.Sprintf("bench-%04d", i), dataset.Metadata{Description: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	s := NewDatasets(engine)
	for b.Loop() {
		res, err := s.ListDatasets(ctx, &kamldv1.ListDatasetsRequest{PageSize: 100})
		if err != nil || len(res.GetDatasets()) != 100 || res.GetTotalSize() != 1000 {
			b.Fatalf("%v %d", err, len(res.GetDatasets()))
		}
	}
}
