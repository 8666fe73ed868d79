package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// ServiceToken is one entry of the service tokens file: a named caller (another service, a pipeline) with
// its own secret. Exactly one of Token and TokenSHA256 is set; the hash form keeps the secret out of the
// file.
type ServiceToken struct {
	Name        string   `yaml:"name" json:"name"`
	Groups      []string `yaml:"groups" json:"groups"`
	Token       string   `yaml:"token" json:"token"`
	TokenSHA256 string   `yaml:"token_sha256" json:"token_sha256"`
}

// ServiceTokens verifies static service tokens: each token is its own name, a KindService principal.
type ServiceTokens struct {
	byDigest map[[sha256.Size]byte]ServiceToken
}

// LoadServiceTokens reads a YAML (or JSON, which is YAML) list of ServiceToken from path. Like the token
// file, a file readable by group or others is refused.
func LoadServiceTokens(path string) (*ServiceTokens, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("service tokens file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("service tokens file %s has mode %v; it must not be readable by group or others (chmod 600)", path, st.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("service tokens file: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var list []ServiceToken
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("service tokens file %s: %w", path, err)
	}
	return NewServiceTokens(list)
}

// NewServiceTokens checks a list of service tokens: names valid and unique, tokens unique, each with one
// token of at least 16 characters or one SHA-256 hex digest.
func NewServiceTokens(list []ServiceToken) (*ServiceTokens, error) {
	s := &ServiceTokens{byDigest: make(map[[sha256.Size]byte]ServiceToken, len(list))}
	names := map[string]bool{}
	for i, e := range list {
		d, err := e.digest()
		if err != nil {
			return nil, fmt.Errorf("service token %d (%q): %w", i, e.Name, err)
		}
		if err := ValidIdentity(e.Name); err != nil {
			return nil, fmt.Errorf("service token %d: name %w", i, err)
		}
		if names[e.Name] {
			return nil, fmt.Errorf("service token %d: name %q appears twice; each token is its own name", i, e.Name)
		}
		if _, dup := s.byDigest[d]; dup {
			return nil, fmt.Errorf("service token %d (%q): the same token as an earlier entry", i, e.Name)
		}
		names[e.Name] = true
		e.Token, e.TokenSHA256 = "", hex.EncodeToString(d[:]) // the secret itself is not kept
		s.byDigest[d] = e
	}
	return s, nil
}

func (e ServiceToken) digest() ([sha256.Size]byte, error) {
	var d [sha256.Size]byte
	switch {
	case (e.Token == "") == (e.TokenSHA256 == ""):
		return d, fmt.Errorf("give exactly one of token and token_sha256")
	case e.Token != "":
		if len(strings.TrimSpace(e.Token)) < 16 {
			return d, fmt.Errorf("token shorter than 16 characters")
		}
		return sha256.Sum256([]byte(strings.TrimSpace(e.Token))), nil
	}
	b, err := hex.DecodeString(strings.TrimSpace(e.TokenSHA256))
	if err != nil || len(b) != sha256.Size {
		return d, fmt.Errorf("token_sha256 is not 64 hex digits")
	}
	copy(d[:], b)
	return d, nil
}

// Verify implements Verifier. A bearer that is no service token is ErrNotMine: it may be a Hub token or a JWT.
func (s *ServiceTokens) Verify(_ context.Context, bearer string) (Principal, error) {
	d := sha256.Sum256([]byte(bearer))
	e, ok := s.byDigest[d]
	// Looked up by digest: timing of the lookup reveals nothing of a secret (a preimage would be needed).
	if !ok {
		return Principal{}, ErrNotMine
	}
	return Principal{Name: e.Name, Groups: e.Groups, Kind: KindService}, nil
}
