package ordersaga

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// Bus is an in-process events.Publisher that delivers each event it is
// given to a handler, as a queue would: later, in order, at least once.
// An event that fails retryably is delivered again, up to MaxAttempts
// deliveries; one that fails otherwise, or too often, is kept as a dead
// letter. It stands in for a broker in local runs and tests; make it with
// NewBus. Safe for concurrent use.
type Bus struct {
	maxAttempts int
	duplicate   bool

	mu    sync.Mutex
	queue []queued
	dead  []DeadLetter
	wake  chan struct{}
}

type queued struct {
	e       event.Event
	attempt int
	dup     bool
}

// DeadLetter is an event the Bus gave up on, with the last error.
type DeadLetter struct {
	Event event.Event
	Err   error
}

// BusOption configures a Bus.
type BusOption func(*Bus)

// WithMaxAttempts sets how many times an event is delivered before it is
// dead-lettered (default 5). It panics if n < 1.
func WithMaxAttempts(n int) BusOption {
	if n < 1 {
		panic("saga: WithMaxAttempts needs at least 1")
	}
	return func(b *Bus) { b.maxAttempts = n }
}

// WithDuplicates makes the Bus deliver every event a second time once it
// has been handled, as at-least-once brokers may.
func WithDuplicates() BusOption { return func(b *Bus) { b.duplicate = true } }

// NewBus returns an empty Bus.
func NewBus(opts ...BusOption) *Bus {
	b := &Bus{maxAttempts: 5, wake: make(chan struct{}, 1)}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Publish queues copies of the events. An invalid event fails the call
// with an invalid-input error and nothing is queued.
func (b *Bus) Publish(ctx context.Context, evs ...event.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, e := range evs {
		if err := e.Validate(); err != nil {
			return handler.InvalidInputf("saga: event %d: %v", i, err)
		}
	}
	b.mu.Lock()
	for _, e := range evs {
		b.queue = append(b.queue, queued{e: e.Clone(), attempt: 1})
	}
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return nil
}

// Drain delivers queued events to h, and those they publish, until the
// queue is empty or ctx ends.
func (b *Bus) Drain(ctx context.Context, h handler.Handler) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.mu.Unlock()
			return nil
		}
		q := b.queue[0]
		b.queue = b.queue[1:]
		b.mu.Unlock()
		_, err := handler.Call(ctx, h, q.e)
		b.mu.Lock()
		switch {
		case err == nil:
			if b.duplicate && !q.dup {
				b.queue = append(b.queue, queued{e: q.e, attempt: 1, dup: true})
			}
		case handler.ClassOf(err).Retry() && q.attempt < b.maxAttempts:
			q.attempt++
			b.queue = append(b.queue, q)
		default:
			b.dead = append(b.dead, DeadLetter{Event: q.e, Err: fmt.Errorf("after %d deliveries: %w", q.attempt, err)})
		}
		b.mu.Unlock()
	}
}

// Serve drains the queue into h whenever events arrive, until ctx ends,
// logging dead letters to logger.
func (b *Bus) Serve(ctx context.Context, h handler.Handler, logger *slog.Logger) {
	seen := 0
	for {
		_ = b.Drain(ctx, h)
		dead := b.DeadLetters()
		for _, d := range dead[seen:] {
			logger.ErrorContext(ctx, "saga: dead letter", "type", d.Event.Type(), "id", d.Event.ID(), "error", d.Err)
		}
		seen = len(dead)
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		}
	}
}

// DeadLetters returns the events given up on, oldest first.
func (b *Bus) DeadLetters() []DeadLetter {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]DeadLetter(nil), b.dead...)
}
