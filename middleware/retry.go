package middleware

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// WithMaxAttempts sets how many times Retry runs the handler at most,
// the first run included: DefaultMaxAttempts by default. Less than 1 panics.
func WithMaxAttempts(n int) Option {
	if n < 1 {
		panic("middleware: WithMaxAttempts: n must be at least 1")
	}
	return func(c *config) { c.maxAttempts = n }
}

// WithBackoff sets Retry's exponential backoff: the first wait, doubled
// after each attempt up to max, each randomised by ±50 % (jitter).
// DefaultInitialBackoff and DefaultMaxBackoff by default. A zero or
// negative duration, or max below initial, panics.
func WithBackoff(initial, max time.Duration) Option {
	if initial <= 0 || max < initial {
		panic("middleware: WithBackoff: need 0 < initial <= max")
	}
	return func(c *config) { c.initialWait, c.maxWait = initial, max }
}

// withSleep replaces how Retry waits (tests use a fake clock).
func withSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *config) { c.sleep = sleep }
}

// Retry runs the handler again, in process, when it fails with a
// retryable error (handler.ClassRetryable, panics included): at most
// WithMaxAttempts runs, waiting between them by exponential backoff with
// jitter (WithBackoff, computed by github.com/cenkalti/backoff/v5).
//
// It never retries invalid-input, permanent or throttled errors (a
// throttled caller should back off, not push harder), errors from the
// invocation's own context being done, nor when the next wait would end
// after the context's deadline: then the last error is returned as it
// was. The handler reads the attempt number with Attempt. Reads
// WithMaxAttempts, WithBackoff and WithClock.
//
// Retry belongs inside Timeout, so that all attempts share one bound, and
// outside the handler's idempotency, if any.
func Retry(opts ...Option) handler.Middleware {
	cfg := newConfig(opts)
	r := &retry{max: cfg.maxAttempts, initial: cfg.initialWait, maxWait: cfg.maxWait, now: cfg.now, sleep: cfg.sleep}
	return func(next handler.Handler) handler.Handler {
		return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
			return r.run(ctx, next, e)
		})
	}
}

type retry struct {
	max              int
	initial, maxWait time.Duration
	now              func() time.Time
	sleep            func(ctx context.Context, d time.Duration) error
}

type attemptKey struct{}

type attemptCtx struct {
	context.Context
	n int
}

func (c *attemptCtx) Value(key any) any {
	if key == (attemptKey{}) {
		return c.n
	}
	return c.Context.Value(key)
}

// Attempt returns the number of the current in-process attempt of Retry,
// from 1, or 0 outside Retry. The platform's delivery count is in
// handler.Invocation.Attempt.
func Attempt(ctx context.Context) int {
	n, _ := ctx.Value(attemptKey{}).(int)
	return n
}

func (r *retry) run(ctx context.Context, next handler.Handler, e event.Event) (*event.Event, error) {
	var bo *backoff.ExponentialBackOff
	for n := 1; ; n++ {
		reply, err := callRecover(&attemptCtx{Context: ctx, n: n}, next, e)
		if err == nil || n >= r.max || handler.ClassOf(err) != handler.ClassRetryable || ctx.Err() != nil {
			return reply, err
		}
		if bo == nil {
			bo = &backoff.ExponentialBackOff{
				InitialInterval:     r.initial,
				RandomizationFactor: 0.5,
				Multiplier:          2,
				MaxInterval:         r.maxWait,
			}
			bo.Reset()
		}
		wait := bo.NextBackOff()
		if d, ok := ctx.Deadline(); ok && !r.now().Add(wait).Before(d) {
			return reply, err
		}
		if serr := r.sleep(ctx, wait); serr != nil {
			return reply, err
		}
	}
}

// callRecover calls h, recovering a panic into a *handler.PanicError, so
// that a panic can be retried like any retryable failure.
func callRecover(ctx context.Context, h handler.Handler, e event.Event) (reply *event.Event, err error) {
	defer func() {
		if v := recover(); v != nil {
			reply, err = nil, newPanicError(v)
		}
	}()
	return h.Handle(ctx, e)
}
