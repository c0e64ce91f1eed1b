package idempotency

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/state/memstore"
)

// httpCtx is the context of a synchronous HTTP invocation.
func httpCtx() context.Context {
	return handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformHTTP, Sync: true})
}

type outcome struct {
	reply *event.Event
	err   error
}

// concurrently delivers e n times at once through h.
func concurrently(ctx context.Context, h handler.Handler, e event.Event, n int) []outcome {
	out := make([]outcome, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range out {
		wg.Go(func() {
			<-start
			out[i].reply, out[i].err = h.Handle(ctx, e)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// TestInProgressDuplicatesWaitForTheAnswer: concurrent duplicates from a
// synchronous caller wait for the first delivery and all get its reply; the
// handler runs once.
func TestInProgressDuplicatesWaitForTheAnswer(t *testing.T) {
	f := newEffects(150 * time.Millisecond)
	h := New(memstore.New()).Wrap(f)
	out := concurrently(httpCtx(), h, ev("k", "{}"), 50)
	if n := f.count("k"); n != 1 {
		t.Fatalf("the handler ran %d times", n)
	}
	for i, o := range out {
		if o.err != nil || o.reply == nil || o.reply.ID() != out[0].reply.ID() {
			t.Fatalf("delivery %d: %v %v, want the first reply %v", i, o.reply, o.err, out[0].reply)
		}
	}
}

// TestQueueDuplicatesFailFast: without a synchronous caller the default is
// not to wait: the platform redelivers.
func TestQueueDuplicatesFailFast(t *testing.T) {
	f := newEffects(300 * time.Millisecond)
	h := New(memstore.New()).Wrap(f)
	start := time.Now()
	out := concurrently(context.Background(), h, ev("k", "{}"), 5)
	inProgress := 0
	for _, o := range out {
		if errors.Is(o.err, ErrInProgress) {
			inProgress++
			if handler.ClassOf(o.err) != handler.ClassThrottled || handler.RetryAfter(o.err) != DefaultPollInterval {
				t.Fatalf("class %v retry-after %v", handler.ClassOf(o.err), handler.RetryAfter(o.err))
			}
			if d, _ := handler.Detail(o.err); !strings.Contains(d, "another delivery with this idempotency key is in progress") {
				t.Fatalf("detail %q", d)
			}
		}
	}
	if inProgress != 4 || f.count("k") != 1 {
		t.Fatalf("%d in progress, %d runs", inProgress, f.count("k"))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

// TestWaitIsBounded: a duplicate stops waiting after WithWait, and never
// past its own deadline.
func TestWaitIsBounded(t *testing.T) {
	f := newEffects(time.Second)
	eng := New(memstore.New(), WithWait(80*time.Millisecond), WithPollInterval(20*time.Millisecond))
	h := eng.Wrap(f)
	go func() { _, _ = h.Handle(context.Background(), ev("k", "{}")) }()
	time.Sleep(30 * time.Millisecond) // the first holds the key
	start := time.Now()
	_, err := h.Handle(context.Background(), ev("k", "{}"))
	if d := time.Since(start); !errors.Is(err, ErrInProgress) || d < 40*time.Millisecond || d > 500*time.Millisecond {
		t.Fatalf("err %v after %v, want ErrInProgress after about 80ms", err, d)
	}
	if handler.RetryAfter(err) != 20*time.Millisecond {
		t.Fatalf("retry-after %v", handler.RetryAfter(err))
	}

	long := New(memstore.New(), WithWait(time.Minute)).Wrap(newEffects(time.Second))
	go func() { _, _ = long.Handle(context.Background(), ev("d", "{}")) }()
	time.Sleep(30 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = long.Handle(ctx, ev("d", "{}"))
	if d := time.Since(start); !errors.Is(err, ErrInProgress) || d > 500*time.Millisecond {
		t.Fatalf("err %v after %v, want ErrInProgress by the 100ms deadline", err, d)
	}
}

// TestWaitingDuplicateRunsWhenTheFirstFails: the first delivery's failure
// releases the key, and a waiting duplicate claims it and runs.
func TestWaitingDuplicateRunsWhenTheFirstFails(t *testing.T) {
	store := memstore.New()
	eng := New(store, WithWait(5*time.Second))
	started := make(chan struct{})
	failing := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		close(started)
		time.Sleep(100 * time.Millisecond)
		return nil, errors.New("boom")
	})
	errc := make(chan error, 1)
	go func() { _, err := eng.Wrap(failing).Handle(context.Background(), ev("k", "{}")); errc <- err }()
	<-started
	f := newEffects(0)
	reply, err := eng.Wrap(f).Handle(context.Background(), ev("k", "{}"))
	if err != nil || reply == nil || f.count("k") != 1 {
		t.Fatalf("reply %v err %v runs %d", reply, err, f.count("k"))
	}
	if err := <-errc; err == nil || err.Error() != "boom" {
		t.Fatalf("first delivery: %v", err)
	}
}

// TestGeneratedIDIsNoKey: an id the adapter made up is no idempotency key.
func TestGeneratedIDIsNoKey(t *testing.T) {
	ctx := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformHTTP, Sync: true, IDGenerated: true})
	f := newEffects(0)
	_, err := New(memstore.New()).Wrap(f).Handle(ctx, ev("made-up", "{}"))
	if !errors.Is(err, ErrMissingKey) || handler.ClassOf(err) != handler.ClassInvalidInput || f.count("made-up") != 0 {
		t.Fatalf("err %v runs %d", err, f.count("made-up"))
	}
	if d, _ := handler.Detail(err); !strings.Contains(d, "Idempotency-Key header") {
		t.Fatalf("detail %q does not name the header", d)
	}
	store := &countingStore{Store: memstore.New()}
	through := New(store, WithPassThroughWithoutKey()).Wrap(f)
	for range 2 {
		if _, err := through.Handle(ctx, ev("made-up", "{}")); err != nil {
			t.Fatal(err)
		}
	}
	if f.count("made-up") != 2 || store.calls.Load() != 0 {
		t.Fatalf("pass-through: %d runs, %d store calls", f.count("made-up"), store.calls.Load())
	}
}
