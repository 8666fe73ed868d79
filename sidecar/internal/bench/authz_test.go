package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/datasetsvc"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/index/bleve"
	"github.com/kamld/kamld/sidecar/internal/index/indextest"
	"github.com/kamld/kamld/sidecar/internal/searchsvc"
)

// The cost of authorization (docs/benchmarks.md, "Authorization"): the same service calls, in process, as a
// single-user caller (a platform admin: every check passes at once, search is unfiltered) and as a
// shared-mode user with groups who reads through a grant (the policy is evaluated; search is filtered inside
// the index). Rounds alternate the two callers so both see the same machine noise; each figure is the median
// over rounds of the mean per call, and the ratio is shared over single.
//
//	KAMLD_BENCH_AUTHZ_OUT=docs go test -run '^$' -bench Authorization -benchtime 1x ./sidecar/internal/bench/
//
// With KAMLD_BENCH_AUTHZ_OUT (the repository's docs folder, make bench-authz) it writes benchmarks-authz.json
// there and the table between the bench-authz markers of benchmarks.md.

const (
	authzRounds        = 15
	authzGetCalls      = 400 // per round and caller
	authzSearchCalls   = 20
	authzSearchCatalog = 10_000
	authzReadablePct   = 1
)

var (
	singleUser = auth.WithIdentity(context.Background(), "alice")
	sharedUser = auth.WithPrincipal(context.Background(), auth.Principal{Name: "reader-1", Groups: []string{"bio", "lab", "staff"}, Kind: auth.KindUser, Verified: true})
)

type authzResult struct {
	Measure  string  `json:"measure"`
	SingleUS float64 `json:"single_user_us"`
	SharedUS float64 `json:"shared_us"`
	Ratio    float64 `json:"ratio"`
	Detail   string  `json:"detail"`
}

func BenchmarkAuthorization(b *testing.B) {
	for range b.N {
		results := []authzResult{benchGetDataset(b), benchSearch(b, authzReadablePct), benchSearch(b, 100)}
		for _, r := range results {
			b.ReportMetric(r.Ratio, strings.NewReplacer(" ", "-", "%", "pct").Replace(r.Measure)+"-ratio")
		}
		writeAuthz(b, results)
	}
}

// benchGetDataset: GetDataset of a private dataset with 20 grants, the caller reading through the last one.
func benchGetDataset(b *testing.B) authzResult {
	store, err := fs.New(b.TempDir(), fs.WithFsync(false))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	engine := dataset.New(store)
	if _, err := engine.CreateDataset(singleUser, "d", dataset.Metadata{Owner: "alice", Visibility: access.Private}); err != nil {
		b.Fatal(err)
	}
	var grants []access.Grant
	for i := range 19 {
		grants = append(grants, access.Grant{Kind: access.Group, Name: fmt.Sprintf("team-%d", i), Role: access.Reader})
	}
	grants = append(grants, access.Grant{Kind: access.User, Name: "reader-1", Role: access.Reader})
	if _, err := engine.SetAccess(singleUser, "d", access.Policy{Visibility: access.Private, Grants: grants}, ""); err != nil {
		b.Fatal(err)
	}
	svc := datasetsvc.NewDatasets(engine)
	req := &kamldv1.GetDatasetRequest{Name: "datasets/d"}
	call := func(ctx context.Context) error { _, err := svc.GetDataset(ctx, req); return err }
	single, shared := alternate(b, authzGetCalls, call)
	return result("GetDataset", single, shared, "a private dataset with 20 grants, read through a user grant")
}

// benchSearch: 10,000 datasets in a bleve index, pct% readable by the caller; a page of 20 with facets on
// tag, format and owner, over the whole catalogue and for a word. At 1% the filtered search does less work
// than the unfiltered one; at 100% it does the same work plus the filter, which is the filter's own cost.
func benchSearch(b *testing.B, pct int) authzResult {
	ix, err := bleve.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	docs := indextest.Generate(authzSearchCatalog, 42)
	for i, d := range docs {
		pol := access.Policy{Owner: d.Owner, Visibility: access.Private}
		if i%(100/pct) == 0 {
			pol.Grants = []access.Grant{{Kind: access.User, Name: "reader-1", Role: access.Reader}}
		}
		d.Readers = access.DocTerms(d.ID, pol)
	}
	for i := 0; i < len(docs); i += 1000 {
		if err := ix.Upsert(context.Background(), docs[i:min(i+1000, len(docs))]...); err != nil {
			b.Fatal(err)
		}
	}
	svc := searchsvc.NewService(ix)
	reqs := []*kamldv1.SearchDatasetsRequest{
		{PageSize: 20, OrderBy: "name", Facets: []string{index.FacetTag, index.FacetFormat, index.FacetOwner}},
		{Query: indextest.BenchQueries[0].Query, PageSize: 20, Facets: []string{index.FacetTag, index.FacetFormat, index.FacetOwner}},
	}
	n := 0
	call := func(ctx context.Context) error {
		n++
		_, err := svc.SearchDatasets(ctx, reqs[n%len(reqs)])
		return err
	}
	res, err := svc.SearchDatasets(sharedUser, reqs[0])
	if err != nil || res.GetTotalSize() != int64(authzSearchCatalog*pct/100) {
		b.Fatalf("the caller should see %d datasets: %v, %v", authzSearchCatalog*pct/100, res.GetTotalSize(), err)
	}
	single, shared := alternate(b, authzSearchCalls, call)
	return result(fmt.Sprintf("search %d%%", pct), single, shared, fmt.Sprintf("%d datasets, %d%% readable by the caller; page of 20, facets tag/format/owner; all and %q",
		authzSearchCatalog, pct, indextest.BenchQueries[0].Query))
}

// alternate times calls rounds as the single-user and the shared caller in turn (after one warm-up round
// each) and returns the median per-call time of each.
func alternate(b *testing.B, calls int, call func(context.Context) error) (single, shared time.Duration) {
	var s, sh []time.Duration
	for round := -1; round < authzRounds; round++ {
		order := []context.Context{singleUser, sharedUser}
		if round%2 == 1 {
			order = []context.Context{sharedUser, singleUser}
		}
		for _, ctx := range order {
			start := time.Now()
			for range calls {
				if err := call(ctx); err != nil {
					b.Fatal(err)
				}
			}
			per := time.Since(start) / time.Duration(calls)
			if round < 0 {
				continue // warm-up
			}
			if ctx == singleUser {
				s = append(s, per)
			} else {
				sh = append(sh, per)
			}
		}
	}
	slices.Sort(s)
	slices.Sort(sh)
	return s[len(s)/2], sh[len(sh)/2]
}

func result(measure string, single, shared time.Duration, detail string) authzResult {
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
	return authzResult{Measure: measure, SingleUS: us(single), SharedUS: us(shared), Ratio: us(shared) / us(single), Detail: detail}
}

// writeAuthz prints the table and, with KAMLD_BENCH_AUTHZ_OUT, writes the JSON and the docs section.
func writeAuthz(b *testing.B, results []authzResult) {
	var md strings.Builder
	md.WriteString("| call | single-user (admin, unfiltered) | shared (user with groups, via a grant) | ratio |\n|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&md, "| %s: %s | %.1f µs | %.1f µs | %.2f× |\n", r.Measure, r.Detail, r.SingleUS, r.SharedUS, r.Ratio)
	}
	fmt.Print(md.String())
	dir := os.Getenv("KAMLD_BENCH_AUTHZ_OUT")
	if dir == "" {
		return
	}
	js, _ := json.MarshalIndent(results, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "benchmarks-authz.json"), append(js, '\n'), 0o644); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "benchmarks.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	const begin, end = "<!-- bench-authz:begin -->\n", "<!-- bench-authz:end -->"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		b.Fatalf("%s has no bench-authz markers", path)
	}
	out := string(doc[:i+len(begin)]) + md.String() + string(doc[j:])
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		b.Fatal(err)
	}
}
