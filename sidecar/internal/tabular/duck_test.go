package tabular_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/tabular"
)

// The wall behind the statement guard: even a statement the guard would let through cannot make DuckDB read or
// write outside its allowed directories, reach the network, load extensions or lift those limits.
func TestDuckDBIsLockedDown(t *testing.T) {
	ctx := context.Background()
	allowed := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(allowed, "ok.csv"), []byte("a\n1\n"), 0o600))
	outside := filepath.Join(t.TempDir(), "secret.csv")
	require.NoError(t, os.WriteFile(outside, []byte("s\nsecret\n"), 0o600))
	db, err := tabular.OpenDuckDB(ctx, tabular.DuckOptions{ReadDirs: []string{allowed}, Threads: 1})
	require.NoError(t, err)
	defer db.Close()

	var n int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM read_csv("+tabular.Literal(filepath.Join(allowed, "ok.csv"))+")").Scan(&n))
	require.Equal(t, 1, n)
	for _, stmt := range []string{
		"SELECT * FROM read_csv(" + tabular.Literal(outside) + ")",
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM " + tabular.Literal(outside),
		"SELECT * FROM read_csv('http://127.0.0.1:1/x.csv')",
		"SET enable_external_access = true",
		"SET allowed_directories = ['/']",
		"RESET lock_configuration",
		"SET lock_configuration = false",
		"INSTALL httpfs",
		"LOAD httpfs",
		"COPY (SELECT 1) TO " + tabular.Literal(filepath.Join(t.TempDir(), "out.csv")),
	} {
		_, err := db.ExecContext(ctx, stmt)
		require.Error(t, err, stmt)
	}
	// DuckDB may write inside its allowed directories (COPY, ATTACH): the guard, and the DuckDB engine's own
	// check that what it runs parses as one SELECT, keep such statements away from it.
}
