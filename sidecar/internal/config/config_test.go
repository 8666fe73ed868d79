package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	RegisterFlags(fs)
	require.NoError(t, fs.Parse(args))
	return fs
}

func TestPrecedence_DefaultsFileEnvFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kamld.yaml")
	require.NoError(t, os.WriteFile(file, []byte("grpc_addr: 127.0.0.1:1111\nhttp_addr: 127.0.0.1:2222\nlog:\n  level: debug\nshutdown_timeout: 3s\n"), 0o600))
	env := []string{"KAMLD_CONFIG=" + file, "KAMLD_HTTP_ADDR=127.0.0.1:3333", "KAMLD_LOG_FORMAT=json", "KAMLD_DATA_DIR=" + dir}
	cfg, err := Load(flags(t, "--log-level", "warn"), env)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:1111", cfg.GRPCAddr, "file over default")
	assert.Equal(t, "127.0.0.1:3333", cfg.HTTPAddr, "env over file")
	assert.Equal(t, "warn", cfg.Log.Level, "flag over file")
	assert.Equal(t, "json", cfg.Log.Format)
	assert.Equal(t, 3*time.Second, cfg.Shutdown)
	assert.Equal(t, filepath.Join(dir, "token"), cfg.TokenFile, "derived from data dir")
	assert.Equal(t, "fs", cfg.Blob.Backend)
}

func TestUnknownKeyInFileIsAnError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kamld.yaml")
	require.NoError(t, os.WriteFile(file, []byte("grpc_adr: 127.0.0.1:1\n"), 0o600))
	_, err := Load(flags(t, "--config", file), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown key "grpc_adr"`)
}

func TestValidation(t *testing.T) {
	for _, args := range [][]string{
		{"--grpc-addr", "nonsense"},
		{"--log-level", "loud"},
		{"--log-format", "xml"},
		{"--limits-max-message-bytes", "10"},
	} {
		_, err := Load(flags(t, args...), nil)
		assert.Error(t, err, args)
	}
	cfg, err := Load(flags(t, "--grpc-addr", "unix:/tmp/kamld.sock"), nil)
	require.NoError(t, err)
	assert.Equal(t, "unix:/tmp/kamld.sock", cfg.GRPCAddr)
}

func TestSecretsNeverPrint(t *testing.T) {
	env := []string{"KAMLD_BLOB_S3_SECRET_KEY=hunter2-very-secret", "KAMLD_INDEX_ELASTICSEARCH_PASSWORD=pw-123456", "KAMLD_DATA_DIR=/tmp/x"}
	cfg, err := Load(flags(t), env)
	require.NoError(t, err)
	assert.Equal(t, "hunter2-very-secret", cfg.Blob.S3.SecretKey.Value())
	out := cfg.YAML()
	assert.NotContains(t, out, "hunter2")
	assert.NotContains(t, out, "pw-123456")
	assert.Contains(t, out, "secret_key: <redacted>")
	assert.NotContains(t, cfg.Blob.S3.SecretKey.String()+strings.Repeat(" ", 1), "hunter2")
}

func TestSecretsHaveNoFlags(t *testing.T) {
	fs := flags(t)
	assert.Nil(t, fs.Lookup("blob-s3-secret-key"))
	assert.NotNil(t, fs.Lookup("blob-s3-access-key"))
}

func TestEnvSlice(t *testing.T) {
	cfg, err := Load(flags(t), []string{"KAMLD_INDEX_ELASTICSEARCH_URLS=http://a:9200,http://b:9200", "KAMLD_DATA_DIR=/tmp/x"})
	require.NoError(t, err)
	assert.Equal(t, []string{"http://a:9200", "http://b:9200"}, cfg.Index.Elastic.URLs)
}

func TestAuthTokenFromEnvOnlyAndRedacted(t *testing.T) {
	c, err := Load(nil, []string{"KAMLD_AUTH_TOKEN=0123456789abcdef0123"})
	require.NoError(t, err)
	assert.Equal(t, "0123456789abcdef0123", c.Auth.Token.Value())
	assert.NotContains(t, c.YAML(), "0123456789abcdef0123")
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	RegisterFlags(fs)
	assert.Nil(t, fs.Lookup("auth-token"), "a secret must not be a flag")
}

func TestJSONSchemaCoversEveryKey(t *testing.T) {
	s := JSONSchema("grpc_addr")
	props := s["properties"].(map[string]any)
	assert.NotContains(t, props, "grpc_addr")
	assert.Contains(t, props, "http_addr")
	blob := props["blob"].(map[string]any)
	assert.Equal(t, false, blob["additionalProperties"])
	s3 := blob["properties"].(map[string]any)["s3"].(map[string]any)["properties"].(map[string]any)
	assert.Contains(t, s3, "access_key")
	assert.NotContains(t, s3, "secret_key", "secrets come from the environment")
	assert.Equal(t, "integer", props["sql"].(map[string]any)["properties"].(map[string]any)["duckdb"].(map[string]any)["properties"].(map[string]any)["cache_bytes"].(map[string]any)["type"])
}

func TestObserveMetricsIsOnByDefaultAndSwitchesOff(t *testing.T) {
	c, err := Load(flags(t), nil)
	require.NoError(t, err)
	assert.True(t, c.Observe.Metrics, "metrics are on unless turned off")
	c, err = Load(flags(t), []string{"KAMLD_OBSERVE_METRICS=false"})
	require.NoError(t, err)
	assert.False(t, c.Observe.Metrics)
	c, err = Load(flags(t, "--observe-metrics=false"), nil)
	require.NoError(t, err)
	assert.False(t, c.Observe.Metrics)
	_, err = Load(flags(t), []string{"KAMLD_OBSERVE_METRICS=sometimes"})
	assert.Error(t, err, "a value that is not a boolean is refused, not read as false")
}
