package instrument_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/observe"
	"github.com/kamld/kamld/sidecar/internal/observe/instrument"
)

// The decorated fs store keeps the optional interfaces of the fs store (Mover, LocalFiler), lacks the one it
// lacks (Presigner), unwraps to it, and times its operations.
func TestBlobKeepsOptionalInterfaces(t *testing.T) {
	raw, err := fs.New(t.TempDir())
	require.NoError(t, err)
	s := instrument.Blob(raw)
	_, mover := s.(blob.Mover)
	_, local := s.(blob.LocalFiler)
	_, presign := s.(blob.Presigner)
	assert.True(t, mover)
	assert.True(t, local)
	assert.False(t, presign)
	assert.Same(t, raw, instrument.Unwrap(s))

	before := count(t, `operation="put",outcome="ok"`)
	_, err = s.Put(context.Background(), "a/b", strings.NewReader("x"), blob.PutOptions{})
	require.NoError(t, err)
	_, err = s.Stat(context.Background(), "a/missing")
	require.Error(t, err)
	_, err = s.(blob.Mover).Move(context.Background(), "a/b", "a/c")
	require.NoError(t, err)
	assert.Equal(t, before+1, count(t, `operation="put",outcome="ok"`))
	assert.GreaterOrEqual(t, count(t, `operation="stat",outcome="not_found"`), 1)
	assert.GreaterOrEqual(t, count(t, `operation="move",outcome="ok"`), 1)
}

// count reads the fs backend's histogram count for an operation and outcome from the process registry.
func count(t *testing.T, labels string) int {
	t.Helper()
	mfs, err := observe.Registry.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "kamld_backend_operation_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var l []string
			for _, p := range m.GetLabel() {
				l = append(l, p.GetName()+`="`+p.GetValue()+`"`)
			}
			if strings.Contains(strings.Join(l, ","), `backend="fs",`+labels) {
				return int(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}
