package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/config"
)

// startServe runs `kamld serve` in-process on free ports and returns the client flags that reach it.
func startServe(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir, cfg.TokenFile, cfg.Blob.FS.Dir = dir, filepath.Join(dir, "token"), filepath.Join(dir, "store")
	cfg.GRPCAddr, cfg.HTTPAddr, cfg.ReadyFile = "127.0.0.1:0", "127.0.0.1:0", filepath.Join(dir, "ready.json")
	cfg.Log.Level = "error"
	cfg.Samples = false // the importer has its own tests; this one wants an empty store
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	var bound struct {
		GRPCAddr string `json:"grpc_addr"`
	}
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(cfg.ReadyFile)
		return err == nil && json.Unmarshal(b, &bound) == nil
	}, 10*time.Second, 5*time.Millisecond)
	return []string{"--addr", bound.GRPCAddr, "--token-file", cfg.TokenFile}
}

func kamld(t *testing.T, conn []string, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append(args, conn...))
	err := cmd.Execute()
	return out.String(), err
}

func must(t *testing.T, conn []string, args ...string) string {
	t.Helper()
	out, err := kamld(t, conn, args...)
	require.NoError(t, err, "kamld %s: %s", strings.Join(args, " "), out)
	return out
}

func TestCLIRoundTrip(t *testing.T) {
	conn := startServe(t)
	local := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(local, "imgs", "sub"), 0o755))
	write := func(rel, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(local, rel), []byte(content), 0o644))
	}
	write("train.csv", "a,b\n1,2\n")
	write("imgs/one.png", "\x89PNG fake one")
	write("imgs/sub/two.png", "\x89PNG fake two")

	must(t, conn, "datasets", "create", "iris", "-d", "Fisher's irises", "-t", "tabular")
	must(t, conn, "cp", filepath.Join(local, "train.csv"), "iris/data/")
	must(t, conn, "cp", "-r", filepath.Join(local, "imgs"), "iris/images")
	out := must(t, conn, "snapshot", "iris", "-m", "first")
	assert.Contains(t, out, "iris@v1")

	write("train.csv", "a,b\n1,2\n3,4\n")
	must(t, conn, "cp", filepath.Join(local, "train.csv"), "iris/data/train.csv")
	must(t, conn, "snapshot", "iris", "-m", "more rows")

	out = must(t, conn, "log", "iris")
	assert.Contains(t, out, "v2")
	assert.Contains(t, out, "more rows")
	out = must(t, conn, "diff", "iris@v1", "iris@v2")
	assert.Contains(t, out, "M data/train.csv")
	assert.Contains(t, out, "0 added, 0 removed, 1 modified")
	out = must(t, conn, "datasets", "ls")
	assert.Contains(t, out, "iris")
	assert.Contains(t, out, "Fisher's irises")

	back := t.TempDir()
	must(t, conn, "cp", "iris@v1/data/train.csv", filepath.Join(back, "v1.csv"))
	got, err := os.ReadFile(filepath.Join(back, "v1.csv"))
	require.NoError(t, err)
	assert.Equal(t, "a,b\n1,2\n", string(got))
	must(t, conn, "cp", "-r", "iris@v2/images/", filepath.Join(back, "images"))
	got, err = os.ReadFile(filepath.Join(back, "images", "sub", "two.png"))
	require.NoError(t, err)
	assert.Equal(t, "\x89PNG fake two", string(got))

	must(t, conn, "tag", "iris@v1", "first")
	out = must(t, conn, "restore", "iris@first")
	assert.Contains(t, out, "1 modified")
	out = must(t, conn, "diff", "iris")
	assert.Contains(t, out, "M data/train.csv")
	must(t, conn, "datasets", "rm", "iris")
	_, err = kamld(t, conn, "datasets", "show", "iris")
	assert.ErrorContains(t, err, "NotFound")
}

func TestCLIBranchAndMerge(t *testing.T) {
	conn := startServe(t)
	local := t.TempDir()
	write := func(rel, content string) string {
		p := filepath.Join(local, rel)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	must(t, conn, "datasets", "create", "iris")
	must(t, conn, "cp", write("a.csv", "a,1\n"), "iris/a.csv")
	must(t, conn, "snapshot", "iris")
	out := must(t, conn, "branch", "create", "iris", "exp")
	assert.Contains(t, out, "iris@exp at v1")
	must(t, conn, "cp", write("a2.csv", "a,exp\n"), "iris@exp~draft/a.csv")
	must(t, conn, "cp", write("b.csv", "b\n"), "iris@exp~draft/b.csv")
	out = must(t, conn, "snapshot", "iris@exp", "-m", "on exp")
	assert.Contains(t, out, "iris@exp@v2")
	out = must(t, conn, "log", "iris@exp")
	assert.Contains(t, out, "on exp")
	out = must(t, conn, "diff", "iris@v1", "iris@exp")
	assert.Contains(t, out, "1 added, 0 removed, 1 modified")
	must(t, conn, "cp", write("a3.csv", "a,main\n"), "iris/a.csv")
	must(t, conn, "snapshot", "iris")

	out, err := kamld(t, conn, "merge", "iris@exp", "iris")
	assert.ErrorContains(t, err, "FailedPrecondition")
	assert.Contains(t, out, "CONFLICT")
	assert.Contains(t, out, "a.csv")
	out = must(t, conn, "merge", "iris@exp", "iris", "--theirs", "a.csv")
	assert.Contains(t, out, "merged as v4")
	assert.Contains(t, out, "1 conflicts resolved")
	back := t.TempDir()
	must(t, conn, "cp", "iris/a.csv", filepath.Join(back, "a.csv"))
	got, err := os.ReadFile(filepath.Join(back, "a.csv"))
	require.NoError(t, err)
	assert.Equal(t, "a,exp\n", string(got))
	out = must(t, conn, "merge", "iris", "iris@exp")
	assert.Contains(t, out, "fast-forward to v4")

	out = must(t, conn, "branch", "iris")
	assert.Contains(t, out, "main (default)")
	assert.Contains(t, out, "exp")
	must(t, conn, "branch", "rename", "iris", "exp", "done")
	must(t, conn, "branch", "delete", "iris", "done")
	out = must(t, conn, "branch", "iris")
	assert.NotContains(t, out, "done")
	_, err = kamld(t, conn, "merge", "iris@exp", "iris@v3")
	assert.ErrorContains(t, err, "name a branch")
	_, err = kamld(t, conn, "merge", "iris@v1", "iris", "--strategy", "mine")
	assert.ErrorContains(t, err, "ours or theirs")
}

func TestCLIBadInput(t *testing.T) {
	conn := startServe(t)
	_, err := kamld(t, conn, "datasets", "create", "Bad_Name")
	assert.ErrorContains(t, err, "InvalidArgument")
	_, err = kamld(t, conn, "diff", "iris@v0")
	assert.ErrorContains(t, err, "sequence")
	_, err = kamld(t, conn, "cp", "nope/a", "also-nope/b")
	assert.ErrorContains(t, err, "one of SRC and DST must be local")
	_, err = kamld(t, []string{conn[0], conn[1], "--token-file", filepath.Join(t.TempDir(), "missing")}, "log", "iris")
	assert.ErrorContains(t, err, "token")
}
