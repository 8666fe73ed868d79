// Package auth holds the sidecar's bearer token and the acting identity of a call.
//
// The sidecar trusts exactly one secret: the token. Whoever presents it (the Jupyter server extension, a
// kernel that read the connection file, another service given the token) may also say on whose behalf it
// acts with the x-kamld-user metadata; without the token nothing is trusted.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Token is the bearer token callers must present.
type Token struct{ value []byte }

// Matches compares in constant time.
func (t Token) Matches(presented string) bool {
	return len(t.value) > 0 && subtle.ConstantTimeCompare(t.value, []byte(presented)) == 1
}

// Value returns the raw token, for writing connection files.
func (t Token) Value() string { return string(t.value) }

// LoadOrCreateToken reads the token from path, or generates 32 random bytes (hex) into a new file with mode
// 0600 when it does not exist. An existing file readable by group or others is refused: a leaked token is a
// leaked sidecar.
func LoadOrCreateToken(path string) (Token, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		return parseTokenFile(path, b)
	case errors.Is(err, fs.ErrNotExist):
		return createToken(path)
	default:
		return Token{}, fmt.Errorf("token file: %w", err)
	}
}

// TokenFromValue checks a token given directly (KAMLD_AUTH_TOKEN) by the same rule as a token file's.
func TokenFromValue(v string) (Token, error) {
	tok := strings.TrimSpace(v)
	if len(tok) < 16 {
		return Token{}, errors.New("auth.token: token shorter than 16 characters")
	}
	return Token{value: []byte(tok)}, nil
}

func parseTokenFile(path string, b []byte) (Token, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Token{}, fmt.Errorf("token file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return Token{}, fmt.Errorf("token file %s has mode %v; it must not be readable by group or others (chmod 600)", path, st.Mode().Perm())
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < 16 {
		return Token{}, fmt.Errorf("token file %s: token shorter than 16 characters", path)
	}
	return Token{value: []byte(tok)}, nil
}

func createToken(path string) (Token, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Token{}, err
	}
	tok := hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Token{}, fmt.Errorf("token file: %w", err)
	}
	// O_EXCL: when two sidecars start at once on one data dir, one creates and the other reads.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateToken(path)
	}
	if err != nil {
		return Token{}, fmt.Errorf("token file: %w", err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return Token{}, fmt.Errorf("token file: %w", err)
	}
	if err := f.Close(); err != nil {
		return Token{}, fmt.Errorf("token file: %w", err)
	}
	return Token{value: []byte(tok)}, nil
}
