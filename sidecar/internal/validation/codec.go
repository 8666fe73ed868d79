package validation

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// grpc-go answers a request whose bytes do not decode with INTERNAL ("error unmarshalling request"): a server
// fault for what is a client's mistake. Codec is the server's proto codec with one difference: a request
// that does not decode is reset and marked with an unknown field holding the decoder's complaint, and
// Decoded (called by the validation interceptor) turns the mark into INVALID_ARGUMENT. The mark lives in the
// message itself, so nothing is left behind when an earlier interceptor (auth) rejects the call.
type Codec struct{}

// undecodableField is the field number of the mark: the largest valid number, unused by any kamld message.
const undecodableField protowire.Number = protowire.MaxValidNumber

var _ encoding.CodecV2 = Codec{}

// Name is "proto", so it serves the standard content type.
func (Codec) Name() string { return "proto" }

// Marshal encodes like the standard codec.
func (Codec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("codec: %T is not a proto message", v)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

// Unmarshal decodes, marking instead of failing when the bytes are malformed.
func (Codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("codec: %T is not a proto message", v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	err := proto.Unmarshal(buf.ReadOnlyData(), m)
	if err == nil {
		return nil
	}
	proto.Reset(m)
	mark := protowire.AppendTag(nil, undecodableField, protowire.BytesType)
	mark = protowire.AppendString(mark, err.Error())
	m.ProtoReflect().SetUnknown(mark)
	return nil
}

// Decoded returns INVALID_ARGUMENT when Codec marked m as undecodable.
func Decoded(m proto.Message) error {
	unknown := m.ProtoReflect().GetUnknown()
	for len(unknown) > 0 {
		num, typ, n := protowire.ConsumeTag(unknown)
		if n < 0 {
			return nil
		}
		unknown = unknown[n:]
		if num == undecodableField && typ == protowire.BytesType {
			complaint, _ := protowire.ConsumeString(unknown)
			return apierr.InvalidArgument("request", "message does not decode: %s", complaint)
		}
		skip := protowire.ConsumeFieldValue(num, typ, unknown)
		if skip < 0 {
			return nil
		}
		unknown = unknown[skip:]
	}
	return nil
}
