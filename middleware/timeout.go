package middleware

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// ErrNoTimeLeft is returned by Timeout, wrapped together with
// context.DeadlineExceeded, when the invocation's deadline has already
// passed: the handler is not called. It is retryable (HTTP adapters answer
// 504).
var ErrNoTimeLeft = errors.New("middleware: deadline already passed")

// WithDeadlineMargin sets how long before the platform's deadline Timeout
// ends the handler's context, so that it can still report and flush:
// DefaultDeadlineMargin by default. Zero keeps the platform's deadline;
// a negative margin panics. The margin never takes more than half of the
// time left, so a short deadline still leaves the handler some time.
func WithDeadlineMargin(d time.Duration) Option {
	if d < 0 {
		panic("middleware: WithDeadlineMargin: negative margin")
	}
	return func(c *config) { c.margin = d }
}

// WithTimeout gives Timeout a fixed bound for every invocation, applied as
// well as the platform deadline (the earlier wins). A zero or negative
// duration panics: leave the option out for no fixed bound.
func WithTimeout(d time.Duration) Option {
	if d <= 0 {
		panic("middleware: WithTimeout: duration must be positive")
	}
	return func(c *config) { c.fixed = d }
}

// Timeout bounds each invocation: the handler's context ends at the
// platform's deadline (the context's, or Invocation.Deadline) minus the
// margin of WithDeadlineMargin, and no later than WithTimeout's fixed
// duration if one is set. Without a deadline or fixed duration the handler
// runs unbounded.
//
// Timeout only ends the context: a handler must watch ctx.Done(), as every
// context-aware call does. If the deadline has already passed, the handler
// is not called and the error wraps ErrNoTimeLeft and
// context.DeadlineExceeded. Reads WithDeadlineMargin and WithTimeout;
// it uses the real clock, as contexts do.
//
//	h = handler.Chain(middleware.Timeout(middleware.WithDeadlineMargin(time.Second)))(h)
func Timeout(opts ...Option) handler.Middleware {
	cfg := newConfig(opts)
	margin, fixed := cfg.margin, cfg.fixed
	return func(next handler.Handler) handler.Handler {
		return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
			deadline, ok := ctx.Deadline()
			if inv, found := handler.InvocationFrom(ctx); found && !inv.Deadline.IsZero() && (!ok || inv.Deadline.Before(deadline)) {
				deadline, ok = inv.Deadline, true
			}
			t := time.Now()
			var bound time.Time
			if ok {
				left := deadline.Sub(t)
				if left <= 0 {
					return nil, fmt.Errorf("%w (%v ago): %w", ErrNoTimeLeft, -left, context.DeadlineExceeded)
				}
				bound = deadline.Add(-min(margin, left/2))
			}
			if fixed > 0 && (bound.IsZero() || t.Add(fixed).Before(bound)) {
				bound = t.Add(fixed)
			}
			if bound.IsZero() {
				return next.Handle(ctx, e)
			}
			ctx, cancel := context.WithDeadline(ctx, bound)
			defer cancel()
			return next.Handle(ctx, e)
		})
	}
}
