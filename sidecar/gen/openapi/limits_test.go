package openapi

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	searchquery "github.com/kamld/kamld/sidecar/internal/index/query"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

func param(t *testing.T, doc map[string]any, path, method, name string) map[string]any {
	t.Helper()
	op := doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
	for _, p := range op["parameters"].([]any) {
		if m := p.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("%s %s has no parameter %s", method, path, name)
	return nil
}

// The document states the limits the validators enforce, from the proto annotations and resource's patterns.
func TestDocumentStatesTheLimits(t *testing.T) {
	raw, err := Document("test")
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))

	assert.Equal(t, resource.DatasetIDPattern, param(t, doc, "/v1/datasets", "post", "datasetId")["pattern"])
	assert.Equal(t, true, param(t, doc, "/v1/datasets", "post", "datasetId")["required"])
	assert.Equal(t, resource.DatasetIDPattern, param(t, doc, "/v1/datasets/{dataset}", "get", "dataset")["pattern"])
	assert.Equal(t, resource.TagIDPattern, param(t, doc, "/v1/datasets/{dataset}/tags/{tag}", "delete", "tag")["pattern"])
	assert.Equal(t, resource.TagIDPattern, param(t, doc, "/v1/datasets/{dataset}/tags", "post", "tagId")["pattern"])
	assert.Equal(t, resource.QueryIDPattern, param(t, doc, "/v1/queries/{query}:cancel", "post", "query")["pattern"])
	size := param(t, doc, "/v1/datasets", "get", "pageSize")
	assert.Equal(t, -1.0, size["minimum"])
	assert.Equal(t, true, size["exclusiveMinimum"])
	assert.Equal(t, noControl, param(t, doc, "/v1/datasets:suggest", "get", "prefix")["pattern"])
	assert.Contains(t, param(t, doc, "/v1/datasets", "get", "orderBy")["enum"], "name")
	assert.Equal(t, `^-?[0-9]{1,18}$`, param(t, doc, "/v1/jobs/{job}/logs", "get", "offset")["pattern"])
	assert.NotContains(t, param(t, doc, "/v1/jobs", "get", "states")["items"].(map[string]any)["enum"], "JOB_STATE_UNSPECIFIED")
	assert.EqualValues(t, searchquery.MaxValueLength, param(t, doc, "/v1/datasets:suggest", "get", "prefix")["maxLength"])
	assert.EqualValues(t, searchquery.MaxLength, param(t, doc, "/v1/datasets:search", "get", "query")["maxLength"])
	// Every ref field's annotation in proto/ is the pattern resource proves against ParseRef.
	for _, p := range [][3]string{
		{"/v1/datasets/{dataset}/files", "get", "ref"}, {"/v1/datasets/{dataset}/files/{path}", "get", "ref"},
		{"/v1/datasets/{dataset}/content/{path}", "get", "ref"}, {"/v1/datasets/{dataset}/preview/{path}", "get", "ref"},
		{"/v1/datasets/{dataset}/tables", "get", "ref"}, {"/v1/datasets/{dataset}:diff", "get", "fromRef"},
		{"/v1/datasets/{dataset}:diff", "get", "toRef"},
	} {
		assert.Equal(t, resource.RefPattern, param(t, doc, p[0], p[1], p[2])["pattern"], "%v", p)
	}

	exec := doc["definitions"].(map[string]any)["v1ExecuteQueryRequest"].(map[string]any)
	assert.Equal(t, false, exec["additionalProperties"], "the gateway refuses unknown fields")
	assert.Contains(t, exec["required"], "sql")
}
