package changefeed

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWaitReturnsAtOnceWhenPast(t *testing.T) {
	f := New()
	f.Bump()
	start := time.Now()
	if got := f.Wait(context.Background(), 0, time.Minute); got != 1 {
		t.Fatalf("Wait = %d, want 1", got)
	}
	if time.Since(start) > time.Second {
		t.Fatal("Wait blocked although the sequence was past")
	}
}

func TestWaitWakesOnTheNextChange(t *testing.T) {
	f := New()
	go func() {
		time.Sleep(50 * time.Millisecond)
		f.Bump()
	}()
	start := time.Now()
	if got := f.Wait(context.Background(), 0, time.Minute); got != 1 {
		t.Fatalf("Wait = %d, want 1", got)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("woke after %v", elapsed)
	}
}

func TestWaitEndsWithTheTimeoutOrTheContext(t *testing.T) {
	f := New()
	if got := f.Wait(context.Background(), 0, 20*time.Millisecond); got != 0 {
		t.Fatalf("Wait = %d, want 0", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := f.Wait(ctx, 0, time.Minute); got != 0 {
		t.Fatalf("Wait = %d, want 0", got)
	}
}

func TestEpochsDiffer(t *testing.T) {
	if a, b := New().Epoch(), New().Epoch(); a == b || len(a) != 16 {
		t.Fatalf("epochs %q and %q", a, b)
	}
}

type failing struct{}

func (failing) Changing(context.Context, string) (func(), error) { return nil, errors.New("no") }

func TestObserverPassesOnAndCountsFinishedWrites(t *testing.T) {
	f := New()
	if _, err := f.Observer(failing{}).Changing(context.Background(), "iris"); err == nil {
		t.Fatal("the inner observer's error was lost")
	}
	if f.Current() != 0 {
		t.Fatal("a refused write moved the feed")
	}
	done, err := f.Observer(nil).Changing(context.Background(), "iris")
	if err != nil {
		t.Fatal(err)
	}
	if f.Current() != 0 {
		t.Fatal("the feed moved before the write finished")
	}
	done()
	if f.Current() != 1 {
		t.Fatalf("Current = %d, want 1", f.Current())
	}
}

func TestStopAnswersWaitsAtOnce(t *testing.T) {
	f := New()
	answered := make(chan int64, 1)
	go func() { answered <- f.Wait(context.Background(), 0, time.Minute) }()
	time.Sleep(20 * time.Millisecond)
	f.Stop()
	f.Stop()
	select {
	case got := <-answered:
		if got != 0 {
			t.Fatalf("Wait = %d, want 0", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a wait outlived Stop")
	}
	start := time.Now()
	f.Wait(context.Background(), 0, time.Minute)
	if time.Since(start) > time.Second {
		t.Fatal("a wait after Stop blocked")
	}
}
