package proc

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStopEndsAProcessThatIgnoresNothing(t *testing.T) {
	p, err := Start("sleeper", exec.Command("sleep", "60"))
	require.NoError(t, err)
	assert.False(t, p.Exited())
	p.Stop(10 * time.Second)
	assert.True(t, p.Exited())
}

func TestStopKillsAProcessThatIgnoresSIGTERM(t *testing.T) {
	// The shell says when its trap is set, so the SIGTERM cannot arrive before it.
	p, err := Start("stubborn", exec.Command("sh", "-c", "trap '' TERM; echo trapped; while :; do sleep 1; done"))
	require.NoError(t, err)
	require.NoError(t, p.WaitReady(context.Background(), time.Minute, 10*time.Millisecond, func(context.Context) bool {
		return strings.Contains(p.Output(), "trapped")
	}))
	p.Stop(100 * time.Millisecond)
	assert.True(t, p.Exited())
}

func TestWaitReadyReportsAnEarlyExitWithTheOutput(t *testing.T) {
	p, err := Start("broken", exec.Command("sh", "-c", "echo cannot bind port; exit 3"))
	require.NoError(t, err)
	err = p.WaitReady(context.Background(), time.Minute, 10*time.Millisecond, func(context.Context) bool { return false })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "broken exited during startup")
	assert.Contains(t, err.Error(), "cannot bind port")
}

func TestWaitReadyGivesUpAndKills(t *testing.T) {
	p, err := Start("slow", exec.Command("sleep", "60"))
	require.NoError(t, err)
	err = p.WaitReady(context.Background(), 50*time.Millisecond, 10*time.Millisecond, func(context.Context) bool { return false })
	require.ErrorContains(t, err, "slow not ready after 50ms")
	assert.True(t, p.Exited())
}

func TestStartReportsAMissingBinary(t *testing.T) {
	_, err := Start("ghost", exec.Command("/nonexistent/kamld-ghost"))
	require.ErrorContains(t, err, "starting ghost")
}

func TestLogKeepsTheNewestOutput(t *testing.T) {
	var l Log
	chunk := strings.Repeat("x", 1<<10)
	for range 2 * maxLog >> 10 {
		_, _ = l.Write([]byte(chunk))
	}
	_, _ = l.Write([]byte("the reason"))
	assert.LessOrEqual(t, len(l.String()), maxLog+len(chunk)+len("the reason"))
	assert.True(t, strings.HasSuffix(l.String(), "the reason"))
	assert.Equal(t, "…xxthe reason", l.Tail(12))
}

func TestInCI(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, "0": false, "true": true, "1": true, "yes": true} {
		t.Setenv("CI", v)
		assert.Equal(t, want, InCI(), "CI=%q", v)
	}
}

func TestCachePath(t *testing.T) {
	t.Setenv("KAMLD_PROC_TEST", "/opt/server")
	p, err := CachePath("KAMLD_PROC_TEST", "bin", "server")
	require.NoError(t, err)
	assert.Equal(t, "/opt/server", p)

	t.Setenv("KAMLD_PROC_TEST", "")
	t.Setenv("HOME", "/home/someone")
	p, err = CachePath("KAMLD_PROC_TEST", "bin", "server")
	require.NoError(t, err)
	assert.Equal(t, "/home/someone/.cache/kamld/bin/server", p)
}

func TestFreeAddrIsBindableLoopback(t *testing.T) {
	addr, err := FreeAddr()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(addr, "127.0.0.1:"))
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	_ = l.Close()
}

func TestHTTPStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	defer srv.Close()
	assert.Equal(t, http.StatusTeapot, HTTPStatus(context.Background(), srv.Client(), srv.URL))
	srv.Close()
	assert.Equal(t, 0, HTTPStatus(context.Background(), http.DefaultClient, srv.URL))
}
