package resource

// The rules above as ECMA-262 regular expressions, for the OpenAPI document's path parameters (which
// protoc-gen-openapiv2 cannot annotate: it synthesizes them from the HTTP templates). patterns_test.go proves
// each agrees with its validator, so the document and the server cannot drift apart.
const (
	// DatasetIDPattern is ValidateDatasetID; job ids follow the same rule.
	DatasetIDPattern = `^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`
	// TagIDPattern is ValidateTagID: the lookaheads refuse "draft", sequences and id prefixes.
	TagIDPattern = `^(?!draft$)(?!v[0-9]+$)(?![0-9a-f]{6,}$)[a-z0-9][a-z0-9._-]{0,62}$`
	// QueryIDPattern is a client-chosen query id (ExecuteQueryRequest.query_id, CancelQuery's name).
	QueryIDPattern = `^[A-Za-z0-9-]{1,63}$`
	// SnapshotRefPattern names a snapshot: a sequence, an id prefix or a tag (ParseRef less latest and
	// draft). Sequences are limited to 18 digits here, a little short of the 63 bits ParseRef takes.
	SnapshotRefPattern = `^(v[1-9][0-9]{0,17}|[0-9a-f]{6,64}|(?!v[0-9]+$)(?![0-9a-f]{6,}$)[a-z0-9][a-z0-9._-]{0,62})$`
	// RefPattern is ParseRef: latest (empty), "draft", a snapshot, a branch or "<branch>~draft". proto/ annotates every ref field with it.
	RefPattern = `^(|draft|v[1-9][0-9]{0,17}|[0-9a-f]{6,64}|(?!draft~draft$)(?!v[0-9]+(~draft)?$)(?![0-9a-f]{6,}(~draft)?$)[a-z0-9][a-z0-9._-]{0,62}(~draft)?)$`
)
