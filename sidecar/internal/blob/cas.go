package blob

import (
	"errors"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// SwapOptions are the options of a compare-and-swap write of an object read at version, or of a create-only
// write when there was no object (version "").
func SwapOptions(version string) PutOptions {
	if version == "" {
		return PutOptions{IfNoneMatch: true}
	}
	return PutOptions{IfMatch: version}
}

// maxSwapAttempts bounds RetrySwaps: past it, writers are contending too hard for any to make progress.
const maxSwapAttempts = 64

// RetrySwaps runs attempt (read, change, compare-and-swap write) again while its write loses a race
// (apierr.ErrAborted), at most maxSwapAttempts times; lost is true when every attempt lost.
func RetrySwaps[T any](attempt func() (T, error)) (v T, lost bool, err error) {
	for range maxSwapAttempts {
		v, err = attempt()
		if !errors.Is(err, apierr.ErrAborted) {
			return v, false, err
		}
	}
	var zero T
	return zero, true, nil
}
