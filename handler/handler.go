package handler

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Handler handles one CloudEvent.
//
// Handle returns the reply event, or nil for no reply, and an error whose
// class (see ClassOf) tells the adapter whether the platform should retry.
// Adapters call Handle concurrently from many goroutines; an implementation
// must be safe for that. Handle may keep e, but must not change e's data
// in place, and must not change a reply after returning it.
//
// A panic in Handle is a bug. fnkit's adapters call handlers through Call,
// which recovers it into a *PanicError (retryable), so one bad event does
// not take the process down.
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

// PanicError is a panic recovered from a handler by Call. It is retryable:
// the event itself may be fine.
type PanicError struct {
	// Value is what the handler panicked with.
	Value any
	// Stack is the goroutine's stack at the panic, for logs.
	Stack []byte
}

// Error describes the panic value.
func (p *PanicError) Error() string { return fmt.Sprintf("handler: panic: %v", p.Value) }

// Unwrap returns the panic value if it is an error.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// Call calls h.Handle(ctx, e), recovering a panic into a *PanicError.
// Adapters use it for every invocation.
func Call(ctx context.Context, h Handler, e event.Event) (reply *event.Event, err error) {
	defer func() {
		if v := recover(); v != nil {
			reply, err = nil, &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return h.Handle(ctx, e)
}
