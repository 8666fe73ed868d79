// Package validation holds the checks every request gets before a handler sees it. Rules that depend on one
// RPC's meaning (resource names, refs, paths) live with the domain code; these are the ones that hold for
// every message of the API, so no handler can forget them.
package validation

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

const (
	// MaxPageToken bounds opaque page tokens.
	MaxPageToken = 4096
	// maxViolations keeps an error about a huge bad message small.
	maxViolations = 20
)

// Request checks a request message:
//   - page_size is not negative;
//   - page_token is at most MaxPageToken bytes;
//   - no string anywhere holds NUL or another control character other than tab, newline and carriage return
//     (they end up in file names, logs, index documents and SQL, where they are never meant).
func Request(m proto.Message) error {
	var v []apierr.FieldViolation
	walk(m.ProtoReflect(), "", &v)
	return apierr.InvalidArguments(v)
}

func walk(m protoreflect.Message, prefix string, v *[]apierr.FieldViolation) {
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		path := prefix + string(fd.Name())
		switch {
		case fd.IsMap():
			val.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				p := fmt.Sprintf("%s[%q]", path, k.String())
				checkString(p, k.String(), v)
				checkValue(fd.MapValue(), mv, p, v)
				return len(*v) < maxViolations
			})
		case fd.IsList():
			l := val.List()
			for i := range l.Len() {
				checkValue(fd, l.Get(i), fmt.Sprintf("%s[%d]", path, i), v)
			}
		default:
			checkField(fd, val, path, v)
			checkValue(fd, val, path, v)
		}
		return len(*v) < maxViolations
	})
}

func checkField(fd protoreflect.FieldDescriptor, val protoreflect.Value, path string, v *[]apierr.FieldViolation) {
	switch {
	case fd.Name() == "page_size" && fd.Kind() == protoreflect.Int32Kind && val.Int() < 0:
		*v = append(*v, apierr.FieldViolation{Field: path, Description: "must not be negative"})
	case fd.Name() == "page_token" && fd.Kind() == protoreflect.StringKind && len(val.String()) > MaxPageToken:
		*v = append(*v, apierr.FieldViolation{Field: path, Description: fmt.Sprintf("longer than %d bytes", MaxPageToken)})
	}
}

func checkValue(fd protoreflect.FieldDescriptor, val protoreflect.Value, path string, v *[]apierr.FieldViolation) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		checkString(path, val.String(), v)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		walk(val.Message(), path+".", v)
	}
}

func checkString(path, s string, v *[]apierr.FieldViolation) {
	for i, r := range s {
		if r == utf8.RuneError || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			*v = append(*v, apierr.FieldViolation{Field: path, Description: fmt.Sprintf("control or invalid character %U at byte %d", r, i)})
			return
		}
	}
}
