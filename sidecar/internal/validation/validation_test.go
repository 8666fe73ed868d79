package validation

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
)

func TestRequestChecks(t *testing.T) {
	assert.NoError(t, Request(&kamldv1.CreateDatasetRequest{DatasetId: "iris", Dataset: &kamldv1.Dataset{Description: "tabs\tand\nnewlines are fine"}}))
	assert.NoError(t, Request(&kamldv1.ExecuteQueryRequest{Sql: "SELECT 1\r\nFROM t"}))
	for name, m := range map[string]proto.Message{
		"negative page":   &kamldv1.ListDatasetsRequest{PageSize: -5},
		"huge page token": &kamldv1.ListDatasetsRequest{PageToken: string(make([]byte, MaxPageToken+1))},
		"nul in nested":   &kamldv1.CreateDatasetRequest{Dataset: &kamldv1.Dataset{Description: "a\x00b"}},
		"escape in map":   &kamldv1.CreateDatasetRequest{Dataset: &kamldv1.Dataset{Labels: map[string]string{"k": "\x1b[31m"}}},
		"bell in list":    &kamldv1.CreateDatasetRequest{Dataset: &kamldv1.Dataset{Tags: []string{"ok", "\a"}}},
		"C1 control":      &kamldv1.GetDatasetRequest{Name: "datasets/\u0085x"},
	} {
		err := Request(m)
		require.Error(t, err, name)
		assert.Equal(t, codes.InvalidArgument, apierr.Code(err), name)
	}
}

func TestViolationNamesTheField(t *testing.T) {
	err := Request(&kamldv1.CreateDatasetRequest{Dataset: &kamldv1.Dataset{Tags: []string{"ok", "\a"}}})
	var ae *apierr.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "dataset.tags[1]", ae.Violations[0].Field)
}

func TestCodecMarksUndecodable(t *testing.T) {
	var m kamldv1.CreateDatasetRequest
	require.NoError(t, Codec{}.Unmarshal(mem.BufferSlice{mem.SliceBuffer([]byte{0x0a, 0x02, 0xff, 0xfe})}, &m))
	err := Decoded(&m)
	require.Error(t, err)
	assert.Equal(t, codes.InvalidArgument, apierr.Code(err))

	good, _ := proto.Marshal(&kamldv1.CreateDatasetRequest{DatasetId: "iris"})
	var ok kamldv1.CreateDatasetRequest
	require.NoError(t, Codec{}.Unmarshal(mem.BufferSlice{mem.SliceBuffer(good)}, &ok))
	assert.NoError(t, Decoded(&ok))
	assert.Equal(t, "iris", ok.GetDatasetId())
}

// FuzzCodec: whatever bytes arrive, decoding neither panics nor fails; it yields either a valid message or a
// marked one that Decoded rejects, and a valid one survives a round trip.
func FuzzCodec(f *testing.F) {
	seed, _ := proto.Marshal(&kamldv1.CreateDatasetRequest{DatasetId: "iris", Dataset: &kamldv1.Dataset{Tags: []string{"a"}, Labels: map[string]string{"k": "v"}}})
	f.Add(seed)
	f.Add([]byte{0x0a, 0x02, 0xff, 0xfe})
	f.Add([]byte{0x12, 0x05, 0x12})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m kamldv1.CreateDatasetRequest
		require.NoError(t, Codec{}.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &m))
		if Decoded(&m) != nil {
			return
		}
		_ = Request(&m)
		out, err := proto.Marshal(&m)
		require.NoError(t, err)
		var again kamldv1.CreateDatasetRequest
		require.NoError(t, proto.Unmarshal(out, &again))
	})
}
