package elasticsearch

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The harness starts a real node, stops it (the port then refuses connections), and restarts it on the same
// address with the same data.
func TestStartStopRestart(t *testing.T) {
	s := Start(t)
	require.True(t, strings.HasPrefix(s.HTTPAddr, "127.0.0.1:"), "binds loopback only: %s", s.HTTPAddr)

	req, _ := http.NewRequest(http.MethodPut, s.URL()+"/survivor", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	s.Stop()
	_, err = http.Get(s.URL() + "/")
	require.Error(t, err, "a stopped server must not answer")

	require.NoError(t, s.Restart(context.Background()))
	resp, err = http.Head(s.URL() + "/survivor")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the index created before the restart is still there")

	// Security is off and implicit index creation is refused, as the backend's tests rely on.
	req, _ = http.NewRequest(http.MethodPost, s.URL()+"/implicit/_doc", strings.NewReader(`{"a":1}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestHomeMissingSaysHowToInstall(t *testing.T) {
	t.Setenv(EnvHome, t.TempDir())
	_, err := Home()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "scripts/install-elasticsearch.sh")
}
