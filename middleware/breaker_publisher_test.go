package middleware

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

func TestBreakerPublisher(t *testing.T) {
	bus := events.NewMemory()
	var calls int
	var fail error
	bus.FailWith(func(event.Event) error { calls++; return fail })
	var pub events.Publisher = NewBreaker("bus", WithFailureThreshold(2), WithOpenTimeout(50*time.Millisecond)).Publisher(bus)
	ctx := context.Background()

	fail = handler.Permanent(errors.New("rejected")) // says nothing about the bus's health
	for range 3 {
		if err := pub.Publish(ctx, newEvent()); handler.ClassOf(err) != handler.ClassPermanent {
			t.Fatalf("permanent failure came back as %v", err)
		}
	}
	fail = errors.New("connection refused")
	for range 2 {
		if err := pub.Publish(ctx, newEvent()); err == nil || errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("retryable failure %v", err)
		}
	}
	before := calls
	err := pub.Publish(ctx, newEvent())
	if !errors.Is(err, ErrCircuitOpen) || handler.ClassOf(err) != handler.ClassThrottled || calls != before {
		t.Fatalf("open breaker: err %v, bus called %d more times", err, calls-before)
	}
	fail = nil
	time.Sleep(120 * time.Millisecond) // gobreaker reads the real clock
	if err := pub.Publish(ctx, newEvent()); err != nil {
		t.Fatalf("probe after the open timeout: %v", err)
	}
	if got := len(bus.Events()); got != 1 {
		t.Fatalf("bus recorded %d events, want the probe's 1", got)
	}
}

func TestBreakerPublisherNil(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a nil publisher")
		}
	}()
	NewBreaker("x").Publisher(nil)
}
