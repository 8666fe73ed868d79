package trino_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/testserver/trino"
)

func TestStartAnswersQueries(t *testing.T) {
	s := trino.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, s.Query(ctx, "SELECT count(*) FROM system.runtime.nodes"))
	err := s.Query(ctx, "SELECT * FROM no_such_catalog.s.t")
	require.ErrorContains(t, err, "no_such_catalog")
	s.Stop()
	require.Error(t, s.Query(ctx, "SELECT 1"), "a stopped server answers nothing")
}
