package changesvc

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/changefeed"
)

func TestBadRequestsAreInvalidArguments(t *testing.T) {
	s := New(changefeed.New())
	for _, req := range []*kamldv1.WatchChangesRequest{
		{WaitSeconds: -1}, {WaitSeconds: 61}, {AfterSequence: -2},
	} {
		if _, err := s.WatchChanges(context.Background(), req); apierr.Code(err) != codes.InvalidArgument {
			t.Errorf("%v: %v, want INVALID_ARGUMENT", req, err)
		}
	}
}

func TestAnotherEpochAnswersAtOnce(t *testing.T) {
	feed := changefeed.New()
	s := New(feed)
	start := time.Now()
	got, err := s.WatchChanges(context.Background(), &kamldv1.WatchChangesRequest{Epoch: "old", AfterSequence: 5, WaitSeconds: 30})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetEpoch() != feed.Epoch() || time.Since(start) > 5*time.Second {
		t.Fatalf("got %v after %v", got, time.Since(start))
	}
}

func TestTheNextWriteEndsTheWait(t *testing.T) {
	feed := changefeed.New()
	s := New(feed)
	go func() {
		time.Sleep(50 * time.Millisecond)
		feed.Bump()
	}()
	got, err := s.WatchChanges(context.Background(), &kamldv1.WatchChangesRequest{Epoch: feed.Epoch(), WaitSeconds: 30})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetSequence() != 1 {
		t.Fatalf("sequence %d, want 1", got.GetSequence())
	}
}
