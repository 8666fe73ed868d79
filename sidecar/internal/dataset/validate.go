package dataset

import (
	"fmt"
	"regexp"
	"unicode/utf8"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// Limits of user metadata (dataset.proto, snapshot.proto).
const (
	MaxDescriptionBytes = 16 << 10
	MaxTags             = 64
	MaxLabels           = 64
	MaxLabelValue       = 256
	MaxOwnerBytes       = 256
	MaxMessageBytes     = 4 << 10
	MaxAuthorBytes      = 256
	MaxMediaTypeBytes   = 255
)

var (
	datasetTagRE = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)
	labelNameRE  = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$`)
	dnsPrefixRE  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	mediaTypeRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*( *;[ -~]*)?$`)
)

func validateDatasetID(field, id string) error {
	if err := resource.ValidateDatasetID(id); err != nil {
		return apierr.InvalidArgument(field, "%v", err)
	}
	return nil
}

func validatePath(field, p string) error {
	if err := resource.ValidatePath(p); err != nil {
		return apierr.InvalidArgument(field, "%v", err)
	}
	return nil
}

func validateText(field, s string, maxBytes int) error {
	if len(s) > maxBytes {
		return apierr.InvalidArgument(field, "is %d bytes; at most %d", len(s), maxBytes)
	}
	if !utf8.ValidString(s) {
		return apierr.InvalidArgument(field, "is not valid UTF-8")
	}
	return nil
}

// validateMeta checks user metadata against dataset.proto's rules.
func validateMeta(m Metadata) error {
	var v []apierr.FieldViolation
	add := func(err error) {
		if e, ok := err.(*apierr.Error); ok {
			v = append(v, e.Violations...)
		}
	}
	add(validateText("dataset.description", m.Description, MaxDescriptionBytes))
	add(validateText("dataset.owner", m.Owner, MaxOwnerBytes))
	switch m.Visibility {
	case "", access.Private, access.Internal, access.Public:
	default:
		v = append(v, apierr.FieldViolation{Field: "visibility", Description: fmt.Sprintf("%q is not a visibility: use private, internal or public", m.Visibility)})
	}
	if len(m.Tags) > MaxTags {
		v = append(v, apierr.FieldViolation{Field: "dataset.tags", Description: "more than 64 tags"})
	}
	for _, t := range m.Tags {
		if !datasetTagRE.MatchString(t) {
			v = append(v, apierr.FieldViolation{Field: "dataset.tags", Description: "tag " + quote(t) + " must be 1-64 of a-z, 0-9, '-', '_', '.'"})
		}
	}
	if len(m.Labels) > MaxLabels {
		v = append(v, apierr.FieldViolation{Field: "dataset.labels", Description: "more than 64 labels"})
	}
	for k, val := range m.Labels {
		if !validLabelKey(k) {
			v = append(v, apierr.FieldViolation{Field: "dataset.labels", Description: "key " + quote(k) + " is not a Kubernetes label key ([prefix/]name)"})
		}
		if len(val) > MaxLabelValue || !utf8.ValidString(val) {
			v = append(v, apierr.FieldViolation{Field: "dataset.labels", Description: "value of " + quote(k) + " is longer than 256 bytes or not UTF-8"})
		}
	}
	return apierr.InvalidArguments(v)
}

func validLabelKey(k string) bool {
	name := k
	for i := len(k) - 1; i >= 0; i-- {
		if k[i] == '/' {
			prefix := k[:i]
			name = k[i+1:]
			if len(prefix) == 0 || len(prefix) > 253 || !dnsPrefixRE.MatchString(prefix) {
				return false
			}
			break
		}
	}
	return labelNameRE.MatchString(name)
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return "\"" + s + "\""
}
