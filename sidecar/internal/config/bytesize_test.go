package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseByteSize(t *testing.T) {
	for s, want := range map[string]ByteSize{
		"1GB": 1_000_000_000, "512MiB": 512 << 20, "1 GiB": 1 << 30, "4096": 4096, "1.5kb": 1500, "2TiB": 2 << 40,
		"10B": 10, "0": 0,
	} {
		got, err := ParseByteSize(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"1s", "", "GB", "-1GB", "1 parsec", "1e30", "99999999999TiB"} {
		_, err := ParseByteSize(s)
		assert.Error(t, err, s)
	}
	for _, b := range []ByteSize{4 << 30, 512 << 20, 1_000_000_000, 7} {
		back, err := ParseByteSize(b.String())
		require.NoError(t, err)
		assert.Equal(t, b, back, "String reads back")
	}
}

// The SQL cache bound is a byte size on the command line, in the environment and in the file.
func TestCacheBytesIsAByteSize(t *testing.T) {
	dir := t.TempDir()
	env := []string{"KAMLD_DATA_DIR=" + dir}
	cfg, err := Load(flags(t, "--sql-duckdb-cache-bytes", "1GB"), env)
	require.NoError(t, err)
	assert.EqualValues(t, 1_000_000_000, cfg.SQL.DuckDB.CacheBytes)
	cfg, err = Load(flags(t, "--sql-duckdb-cache-bytes=512MiB"), env)
	require.NoError(t, err)
	assert.EqualValues(t, 512<<20, cfg.SQL.DuckDB.CacheBytes)
	cfg, err = Load(flags(t), env)
	require.NoError(t, err)
	assert.EqualValues(t, 4<<30, cfg.SQL.DuckDB.CacheBytes, "the default")

	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	RegisterFlags(fs)
	assert.Error(t, fs.Parse([]string{"--sql-duckdb-cache-bytes", "1s"}), "a duration is no size")

	cfg, err = Load(flags(t), append(env, "KAMLD_SQL_DUCKDB_CACHE_BYTES=2GiB"))
	require.NoError(t, err)
	assert.EqualValues(t, 2<<30, cfg.SQL.DuckDB.CacheBytes)
	file := filepath.Join(dir, "kamld.yaml")
	require.NoError(t, os.WriteFile(file, []byte("sql:\n  duckdb:\n    cache_bytes: 3GB\n"), 0o600))
	cfg, err = Load(flags(t), append(env, "KAMLD_CONFIG="+file))
	require.NoError(t, err)
	assert.EqualValues(t, 3_000_000_000, cfg.SQL.DuckDB.CacheBytes)
	require.NoError(t, os.WriteFile(file, []byte("sql:\n  duckdb:\n    cache_bytes: 123456\n"), 0o600))
	cfg, err = Load(flags(t), append(env, "KAMLD_CONFIG="+file))
	require.NoError(t, err)
	assert.EqualValues(t, 123456, cfg.SQL.DuckDB.CacheBytes)
}
