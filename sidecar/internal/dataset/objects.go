package dataset

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
)

// getJSON reads a small JSON object and returns it with its version.
func getJSON(ctx context.Context, s blob.Store, key string, v any) (string, error) {
	rc, info, err := s.Get(ctx, key, blob.GetOptions{})
	if err != nil {
		return "", err
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(v); err != nil {
		return "", fmt.Errorf("object %s is corrupt: %w: %v", key, apierr.ErrDataLoss, err)
	}
	return info.Version, nil
}

// putJSON writes a small JSON object under the given condition and returns its new version.
func putJSON(ctx context.Context, s blob.Store, key string, v any, opts blob.PutOptions) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	info, err := s.Put(ctx, key, bytes.NewReader(data), opts)
	if err != nil {
		return "", err
	}
	return info.Version, nil
}

// lostRace reports a conditional write that lost: retry from a fresh read.
func lostRace(err error) bool {
	return errors.Is(err, apierr.ErrAborted) || errors.Is(err, apierr.ErrAlreadyExists)
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
