package pipelinesvc_test

import (
	"os"
	"testing"

	"github.com/kamld/kamld/sidecar/internal/compute/local"
)

// TestMain lets this test binary act as the local backend's run supervisor, as kamld does.
func TestMain(m *testing.M) {
	local.MaybeSupervise()
	os.Exit(m.Run())
}
