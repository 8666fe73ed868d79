package indextest

import (
	"time"

	"github.com/kamld/kamld/sidecar/internal/index"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func cols(names ...string) []index.Column {
	out := make([]index.Column, len(names))
	for i, n := range names {
		out[i] = index.Column{Name: n, Type: "VARCHAR"}
	}
	return out
}

// Corpus is the documents every query of the suite runs against: the five sample datasets as kamld ships
// them, plus documents chosen for edge cases (no metadata at all, text that looks like query syntax, markup
// in descriptions, huge sizes).
func Corpus() []*index.Document {
	return []*index.Document{
		{
			ID: "iris", Description: "Fisher's iris flower measurements: sepal and petal length and width for three species.",
			Tags: []string{"classification", "botany", "tabular"}, Labels: map[string]string{"source": "uci", "licence": "cc-by"},
			Owner: "kamld", Formats: []string{"csv"},
			Columns: cols("sepal_length", "sepal_width", "petal_length", "petal_width", "species"),
			Bytes:   4551, Files: 2, Rows: 150, CreateTime: day("2025-01-10"), UpdateTime: day("2025-03-01"),
			Snapshot: "a1", Sequence: 1,
		},
		{
			ID: "penguins", Description: "Palmer penguins: body measurements of three penguin species.",
			Tags: []string{"classification", "biology", "tabular"}, Labels: map[string]string{"source": "palmer"},
			Owner: "kamld", Formats: []string{"parquet"},
			Columns: cols("species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex"),
			Bytes:   15000, Files: 2, Rows: 344, CreateTime: day("2025-02-01"), UpdateTime: day("2025-06-15"),
			Snapshot: "b2", Sequence: 3,
		},
		{
			ID: "wine", Description: "Wine quality: physicochemical tests of red and white wines, rated by tasters.",
			Tags: []string{"regression", "tabular"}, Labels: map[string]string{"source": "uci"},
			Owner: "alice", Formats: []string{"csv"},
			Columns: cols("fixed_acidity", "volatile_acidity", "alcohol", "quality", "color"),
			Bytes:   350000, Files: 1, Rows: 6497, CreateTime: day("2025-04-01"), UpdateTime: day("2026-01-05"),
			Snapshot: "c3", Sequence: 2,
		},
		{
			ID: "seattle-weather", Description: "Daily weather in Seattle: precipitation, temperature and wind.",
			Tags: []string{"time-series", "weather"}, Labels: map[string]string{"source": "vega"},
			Owner: "bob", Formats: []string{"jsonl"},
			Columns: cols("date", "precipitation", "temp_max", "temp_min", "wind", "weather"),
			Bytes:   60000, Files: 1, Rows: 1461, CreateTime: day("2025-05-20"), UpdateTime: day("2026-02-10"),
			Snapshot: "d4", Sequence: 1,
		},
		{
			ID: "sample-images", Description: "A few small photographs of flowers for image classification.",
			Tags: []string{"images", "classification"}, Labels: map[string]string{"licence": "cc0"},
			Owner: "alice", Formats: []string{"image"},
			Bytes: 5_000_000, Files: 12, CreateTime: day("2025-07-01"), UpdateTime: day("2025-07-01"),
			Snapshot: "e5", Sequence: 1,
		},
		{
			ID: "churn", Description: "Customer churn of a telecom operator, monthly.",
			Tags: []string{"finance", "churn"}, Labels: map[string]string{"team": "risk"},
			Owner: "carol", Formats: []string{"csv", "parquet"},
			Columns: cols("customer_id", "tenure", "churned"),
			Bytes:   25 << 20, Files: 4, Rows: 100_000, CreateTime: day("2026-01-15"), UpdateTime: day("2026-03-01"),
			Snapshot: "f6", Sequence: 7,
		},
		{
			ID: "ledger", Description: "General ledger entries <2024> & journals",
			Tags: []string{"finance", "draft"}, Labels: map[string]string{"team": "accounting"},
			Owner: "carol", Formats: []string{"parquet"},
			Columns: cols("account", "amount", "posted_at"),
			Bytes:   2 << 30, Files: 300, Rows: 10_000_000, CreateTime: day("2024-06-01"), UpdateTime: day("2024-12-31"),
			Snapshot: "g7", Sequence: 40,
		},
		{
			ID: "empty", Owner: "dave", CreateTime: day("2026-03-01"), UpdateTime: day("2026-03-01"),
		},
		{
			ID: "weird", Description: "Wildcards like foo* and (a OR b) must stay literal; field:value text too.",
			Tags: []string{"a+b", "c:d"}, Owner: "eve", Formats: []string{"tsv"},
			Columns: cols("x"),
			Bytes:   1000, Files: 1, Rows: 3, CreateTime: day("2025-09-09"), UpdateTime: day("2025-09-09"),
			Snapshot: "h8", Sequence: 1,
		},
	}
}

// all ids of the corpus, by name.
var allIDs = []string{"churn", "empty", "iris", "ledger", "penguins", "sample-images", "seattle-weather", "weird", "wine"}

// queryCase is a query and the set of ids it must match.
type queryCase struct {
	query string
	want  []string
}

// queries every backend must answer with exactly these sets.
var queries = []queryCase{
	{"", allIDs},
	{"iris", []string{"iris"}},
	{"IRIS", []string{"iris"}},
	{"species", []string{"iris", "penguins"}},
	{`"penguin species"`, []string{"penguins"}},
	{`"species penguin"`, nil},
	{"sepal petal", []string{"iris"}},
	{"sepal penguin", nil},
	{"weather", []string{"seattle-weather"}},
	{"seattle-weather", []string{"seattle-weather"}},
	{"churned", []string{"churn"}},
	{"flowers", []string{"sample-images"}},
	{"classification", []string{"iris", "penguins", "sample-images"}},
	{"tag:classification", []string{"iris", "penguins", "sample-images"}},
	{"tag:Classification", nil},
	{"-tag:classification", []string{"churn", "empty", "ledger", "seattle-weather", "weird", "wine"}},
	{"tag:finance -tag:draft", []string{"churn"}},
	{"NOT tag:finance", []string{"empty", "iris", "penguins", "sample-images", "seattle-weather", "weird", "wine"}},
	{"-iris", []string{"churn", "empty", "ledger", "penguins", "sample-images", "seattle-weather", "weird", "wine"}},
	{"label:source=uci", []string{"iris", "wine"}},
	{"label:team", []string{"churn", "ledger"}},
	{"label:source", []string{"iris", "penguins", "seattle-weather", "wine"}},
	{"label:source=UCI", nil},
	{"format:parquet", []string{"churn", "ledger", "penguins"}},
	{"format:CSV", []string{"churn", "iris", "wine"}},
	{"owner:alice", []string{"sample-images", "wine"}},
	{"column:species", []string{"iris", "penguins"}},
	{"column:SPECIES", []string{"iris", "penguins"}},
	{"column:customer_id", []string{"churn"}},
	{"column:spec", nil},
	{"size:>1MB", []string{"churn", "ledger", "sample-images"}},
	{"size:1KB..100KB", []string{"iris", "penguins", "seattle-weather"}},
	{"size:<1KB", []string{"empty", "weird"}},
	{"size:25MB", []string{"churn"}},
	{"rows:>1000", []string{"churn", "ledger", "seattle-weather", "wine"}},
	{"updated:>2026-01-01", []string{"churn", "empty", "seattle-weather", "wine"}},
	{"updated:2025", []string{"iris", "penguins", "sample-images", "weird"}},
	{"created:2025-01..2025-06", []string{"iris", "penguins", "seattle-weather", "wine"}},
	{"created:<2025", []string{"ledger"}},
	{"updated:>=2026-03-01T00:00:00Z", []string{"churn", "empty"}},
	{"tag:finance OR owner:alice", []string{"churn", "ledger", "sample-images", "wine"}},
	{"(tag:weather OR tag:botany) format:csv", []string{"iris"}},
	{"-(tag:finance OR tag:tabular)", []string{"empty", "sample-images", "seattle-weather", "weird"}},
	// Text that is query syntax elsewhere stays literal.
	{"wild*", nil},
	{"wildcards", []string{"weird"}},
	{`"(a OR b)"`, []string{"weird"}},
	{`"field:value"`, []string{"weird"}},
	{"tag:a+b", []string{"weird"}},
	{`tag:"a+b"`, []string{"weird"}},
	{"tag:c:d", []string{"weird"}},
	{`"<2024> &"`, []string{"ledger"}},
}
