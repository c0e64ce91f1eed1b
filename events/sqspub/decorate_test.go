package sqspub_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/sony/gobreaker/v2"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/sqspub"
	"github.com/fnkit/fnkit/handler"
)

// TestDecorators shows the publisher behind generic decorators that know
// nothing of SQS: a timeout, a circuit breaker that counts only retryable
// failures, and events.DeadLetter sending to a second queue.
func TestDecorators(t *testing.T) {
	s, p, _ := setup(t, "orders", 1)
	timeout := func(next events.Publisher, d time.Duration) events.Publisher {
		return events.PublisherFunc(func(ctx context.Context, evs ...event.Event) error {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			return next.Publish(ctx, evs...)
		})
	}
	cb := gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         "sqs",
		ReadyToTrip:  func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 2 },
		IsSuccessful: func(err error) bool { return !handler.ClassOf(err).Retry() },
		Timeout:      time.Minute,
	})
	breaker := func(next events.Publisher) events.Publisher {
		return events.PublisherFunc(func(ctx context.Context, evs ...event.Event) error {
			_, err := cb.Execute(func() (struct{}, error) { return struct{}{}, next.Publish(ctx, evs...) })
			return err
		})
	}
	pub := breaker(timeout(p, 100*time.Millisecond))

	if err := pub.Publish(context.Background(), newEvent("ok")); err != nil {
		t.Fatal(err)
	}
	s.delay.Store(int64(time.Second))
	for range 2 {
		err := pub.Publish(context.Background(), newEvent("slow"))
		if !errors.Is(err, context.DeadlineExceeded) || handler.ClassOf(err) != handler.ClassRetryable {
			t.Fatalf("slow queue behind the timeout: %v", err)
		}
	}
	before := s.requests.Load()
	err := pub.Publish(context.Background(), newEvent("fast-fail"))
	if !errors.Is(err, gobreaker.ErrOpenState) {
		t.Fatalf("after two timeouts: %v, want the open breaker", err)
	}
	if s.requests.Load() != before {
		t.Error("the open breaker still sent a request")
	}

	// A permanent refusal does not trip a breaker, and DeadLetter keeps
	// the event in another queue.
	s.delay.Store(0)
	dlqURL := s.queue("orders-dlq")
	dlq, _ := sqspub.New(client(s, 1), dlqURL)
	dl := events.NewDeadLetter(dlq)
	e := newEvent("poison")
	if err := dl.Send(context.Background(), e, handler.Permanent(errors.New("schema mismatch"))); err != nil {
		t.Fatal(err)
	}
	got := (&consumer{c: client(s, 1), url: dlqURL}).received(t)
	if len(got) != 1 || got[0].ID() != "poison" || got[0].Extensions()[events.ExtErrorClass] != "permanent" {
		t.Fatalf("dead-letter queue holds %v", got)
	}
}
