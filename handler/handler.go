package handler

import (
	"context"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Handler handles one CloudEvent.
//
// Handle returns the reply event, or nil for no reply, and an error whose
// class (see ClassOf) tells the adapter whether the platform should retry.
// Adapters call Handle concurrently from many goroutines; an implementation
// must be safe for that. Handle must not keep e.DataEncoded after it returns
// if it modifies it, and must not modify the reply after returning it.
//
// A panic in Handle is a bug: adapters do not recover it themselves; wrap the
// handler with middleware.Recover (or Chain it first) to turn panics into
// retryable errors.
type Handler interface {
	Handle(ctx context.Context, e event.Event) (*event.Event, error)
}

// Func adapts an ordinary function to a Handler.
type Func func(ctx context.Context, e event.Event) (*event.Event, error)

// Handle calls f(ctx, e).
func (f Func) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	return f(ctx, e)
}

// Middleware wraps a Handler with behaviour that runs around it: logging,
// validation, retries and so on.
type Middleware func(Handler) Handler

// Chain composes middleware into one. The first middleware is the outermost:
// Chain(a, b)(h) runs a, then b, then h, and sees the results in reverse
// order. Chain with no middleware returns h unchanged.
func Chain(mw ...Middleware) Middleware {
	return func(h Handler) Handler {
		for i := len(mw) - 1; i >= 0; i-- {
			h = mw[i](h)
		}
		return h
	}
}
