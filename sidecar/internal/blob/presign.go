package blob

import (
	"context"
	"time"
)

// Presigner is implemented by stores that can hand out URLs a client uses directly against the store, so
// large transfers need not pass through the sidecar. The local directory store has no such URLs.
type Presigner interface {
	// PresignGet returns a URL that reads key until ttl has passed. downloadName, when set, is the file name
	// the response's Content-Disposition suggests.
	PresignGet(ctx context.Context, key string, ttl time.Duration, downloadName string) (string, error)
	// PresignPut returns a URL that writes key (unconditionally) until ttl has passed. Callers give it a fresh
	// staging key and verify what arrived before using it.
	PresignPut(ctx context.Context, key string, ttl time.Duration) (string, error)
}
