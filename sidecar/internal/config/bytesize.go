package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ByteSize is a size in bytes, written as a number with an optional unit: "1073741824", "512MiB", "1GB",
// "1.5 GiB". Decimal units are powers of 1000 (kB/KB, MB, GB, TB), binary ones powers of 1024 (KiB, MiB, GiB,
// TiB), as DuckDB reads its memory_limit; "B" or no unit is bytes. Units are case-insensitive.
type ByteSize int64

var byteUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseByteSize reads a ByteSize.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := byteUnits[unit]
	n, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || num == "" {
		return 0, fmt.Errorf("%q is not a byte size: a number with an optional unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), e.g. 512MiB", s)
	}
	v := n * mult
	if v > math.MaxInt64 || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return ByteSize(v), nil
}

// String renders the size in the largest binary unit that divides it, so that it reads back the same.
func (b ByteSize) String() string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.size == 0 {
			return strconv.FormatInt(int64(b)/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// UnmarshalText reads a size from configuration files and environment variables.
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalText writes the size as String does.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// byteSizeFlag is a ByteSize as a command-line flag (pflag.Value).
type byteSizeFlag struct{ v *ByteSize }

func (f byteSizeFlag) String() string { return f.v.String() }

func (f byteSizeFlag) Set(s string) error { return f.v.UnmarshalText([]byte(s)) }

func (f byteSizeFlag) Type() string { return "bytes" }
