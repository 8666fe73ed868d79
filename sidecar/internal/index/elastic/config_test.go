package elastic

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewValidatesConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no URL":          {Alias: "kamld"},
		"not http":        {URLs: []string{"ftp://x"}, Alias: "kamld"},
		"no host":         {URLs: []string{"http://"}, Alias: "kamld"},
		"no alias":        {URLs: []string{"http://127.0.0.1:9200"}},
		"upper-case":      {URLs: []string{"http://127.0.0.1:9200"}, Alias: "Kamld"},
		"leading _":       {URLs: []string{"http://127.0.0.1:9200"}, Alias: "_kamld"},
		"wildcard":        {URLs: []string{"http://127.0.0.1:9200"}, Alias: "kamld*"},
		"path separator":  {URLs: []string{"http://127.0.0.1:9200"}, Alias: "a/b"},
		"space and comma": {URLs: []string{"http://127.0.0.1:9200"}, Alias: "a b,c"},
	} {
		_, err := New(cfg)
		assert.Error(t, err, name)
	}
}

func TestLocationHidesCredentials(t *testing.T) {
	ix, err := New(Config{URLs: []string{"https://elastic:s3cret@es.example:9200", "http://127.0.0.1:9200"}, Alias: "kamld-datasets", Password: "s3cret"})
	require.NoError(t, err)
	assert.Equal(t, "https://es.example:9200,http://127.0.0.1:9200 (alias kamld-datasets)", ix.Location())
	assert.NotContains(t, ix.Location(), "s3cret")
}
