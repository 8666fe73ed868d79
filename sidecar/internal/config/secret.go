package config

import "log/slog"

// Secret is a credential. It reads like a string from YAML, env and code, but every way of printing it —
// fmt, slog, YAML, JSON — shows only whether it is set, so the effective config can be printed and logged.
type Secret string

const redacted = "<redacted>"

// Value returns the credential itself, for the one place that needs it.
func (s Secret) Value() string { return string(s) }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// LogValue keeps slog from printing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalYAML keeps printed configs from showing the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalText keeps JSON and other text encodings from showing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
