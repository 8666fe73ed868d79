package podhelper

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExportRoundTrip(t *testing.T) {
	work := t.TempDir()
	m := Manifest{Export: "out.env"}
	b, err := ReadExport(m, work)
	require.NoError(t, err)
	assert.Nil(t, b, "no file written: nothing exported")

	full := strings.Repeat("x", MaxExport)
	require.NoError(t, os.WriteFile(filepath.Join(work, "out.env"), []byte(full), 0o644))
	b, err = ReadExport(m, work)
	require.NoError(t, err)
	msg := ExportMessage(b)
	assert.Len(t, msg, 4096, "a full export file fills the termination message exactly")
	got, ok := ExportFromMessage(msg)
	assert.True(t, ok)
	assert.Equal(t, full, string(got))

	_, ok = ExportFromMessage("A=1\n")
	assert.False(t, ok, "a message the command wrote itself carries no export")

	require.NoError(t, os.WriteFile(filepath.Join(work, "out.env"), []byte(full+"y"), 0o644))
	_, err = ReadExport(m, work)
	assert.ErrorContains(t, err, "out.env is 4083 bytes; on Kubernetes at most 4082 bytes")

	_, err = ParseManifest([]byte(`{"run":{},"export":"../x"}`))
	assert.Error(t, err, "the export file stays inside the work directory")
}
