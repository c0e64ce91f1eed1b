package middleware

import (
	"context"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Publisher is the method set of events.Publisher, repeated here so that
// guarding a publisher does not make this package link the events
// package's platform mappings. An events.Publisher is a Publisher, and a
// Publisher is an events.Publisher.
type Publisher interface {
	Publish(ctx context.Context, events ...event.Event) error
}

// Publisher returns p guarded by b: each Publish goes through the breaker,
// so that while the bus is down publishing fails fast with b's throttled
// error (matching ErrCircuitOpen) instead of waiting for p's own timeouts.
// Retryable failures, a partial failure among them (*events.PublishError),
// count against the breaker; invalid and permanent ones do not. Share one
// Breaker per downstream; state stores have theirs in package
// state/resilient.
//
//	pub = middleware.NewBreaker("orders-bus").Publisher(pub)
func (b *Breaker) Publisher(p Publisher) Publisher {
	if p == nil {
		panic("middleware: Breaker.Publisher(nil)")
	}
	return &guardedPublisher{b: b, p: p}
}

type guardedPublisher struct {
	b *Breaker
	p Publisher
}

func (g *guardedPublisher) Publish(ctx context.Context, events ...event.Event) error {
	return g.b.Do(func() error { return g.p.Publish(ctx, events...) })
}
