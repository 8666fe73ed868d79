// Package changesvc serves kamld.v1.ChangeService on a changefeed.Feed.
package changesvc

import (
	"context"
	"time"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/changefeed"
)

// MaxWait bounds a long poll, so proxies with idle timeouts see an answer in time.
const MaxWait = 60 * time.Second

// maxEpochBytes is the epoch's limit as change.proto declares it (max_length).
const maxEpochBytes = 64

// Service implements kamldv1.ChangeServiceServer.
type Service struct {
	kamldv1.UnimplementedChangeServiceServer
	feed *changefeed.Feed
}

// New serves feed.
func New(feed *changefeed.Feed) *Service { return &Service{feed: feed} }

// WatchChanges answers at once for a new epoch or a sequence past the caller's, else on the next change or
// after the wait.
func (s *Service) WatchChanges(ctx context.Context, req *kamldv1.WatchChangesRequest) (*kamldv1.Changes, error) {
	wait := time.Duration(req.GetWaitSeconds()) * time.Second
	if req.GetWaitSeconds() < 0 || wait > MaxWait {
		return nil, apierr.InvalidArgument("wait_seconds", "%d is outside 0..60", req.GetWaitSeconds())
	}
	if len(req.GetEpoch()) > maxEpochBytes {
		return nil, apierr.InvalidArgument("epoch", "%d bytes; at most %d (send back the epoch of the last answer)", len(req.GetEpoch()), maxEpochBytes)
	}
	if req.GetAfterSequence() < 0 {
		return nil, apierr.InvalidArgument("after_sequence", "%d is negative", req.GetAfterSequence())
	}
	after := req.GetAfterSequence()
	if req.GetEpoch() != s.feed.Epoch() {
		after = -1 // another process's sequence: the caller must reload whatever it is
	}
	seq := s.feed.Wait(ctx, after, wait)
	return &kamldv1.Changes{Epoch: s.feed.Epoch(), Sequence: seq}, nil
}
