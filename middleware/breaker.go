package middleware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/fnkit/fnkit/handler"
)

// ErrCircuitOpen is matched by the throttled errors a Breaker returns
// while it is open (or half-open with its probes in flight).
var ErrCircuitOpen = errors.New("middleware: circuit breaker open")

// WithFailureThreshold sets how many consecutive failures open a Breaker:
// DefaultFailureThreshold by default. Zero panics.
func WithFailureThreshold(n uint32) Option {
	if n == 0 {
		panic("middleware: WithFailureThreshold(0)")
	}
	return func(c *config) { c.failures = n }
}

// WithOpenTimeout sets how long a Breaker stays open before it lets
// WithProbes calls through (half-open): DefaultOpenTimeout by default. A
// zero or negative duration panics.
func WithOpenTimeout(d time.Duration) Option {
	if d <= 0 {
		panic("middleware: WithOpenTimeout: duration must be positive")
	}
	return func(c *config) { c.openFor = d }
}

// WithProbes sets how many calls a half-open Breaker lets through; if all
// succeed it closes, if one fails it opens again. One by default; zero
// panics.
func WithProbes(n uint32) Option {
	if n == 0 {
		panic("middleware: WithProbes(0)")
	}
	return func(c *config) { c.probes = n }
}

// WithRetryAfter sets the wait suggested by the throttled errors of
// Breaker and Concurrency: DefaultRetryAfter by default. Zero means the
// platform's default; negative panics.
func WithRetryAfter(d time.Duration) Option {
	if d < 0 {
		panic("middleware: WithRetryAfter: negative duration")
	}
	return func(c *config) { c.retryAfter = d }
}

// Breaker is a circuit breaker (github.com/sony/gobreaker/v2) around a
// handler or any downstream call. It counts retryable failures (panics
// included); invalid-input and permanent errors, and a cancelled caller,
// say nothing about the downstream's health and count as successes. After
// WithFailureThreshold consecutive failures it opens: calls then fail
// fast, without running, with a throttled error matching ErrCircuitOpen
// and gobreaker.ErrOpenState, until WithOpenTimeout has passed and probe
// calls succeed. Every state change is logged at Warn (WithLogger) and
// counted as fnkit.breaker.state_changes (WithMeterProvider), by breaker
// name and new state. A Breaker is safe for concurrent use; share one per
// downstream.
type Breaker struct {
	name       string
	cb         *gobreaker.CircuitBreaker[*event.Event]
	retryAfter time.Duration
}

// NewBreaker returns a closed Breaker called name. It reads
// WithFailureThreshold, WithOpenTimeout, WithProbes, WithRetryAfter,
// WithLogger and WithMeterProvider.
func NewBreaker(name string, opts ...Option) *Breaker {
	cfg := newConfig(opts)
	changes, err := cfg.meterProvider.Meter(ScopeName).Int64Counter("fnkit.breaker.state_changes",
		metric.WithDescription("Circuit breaker state changes."), metric.WithUnit("{change}"))
	if err != nil {
		panic("middleware: NewBreaker: " + err.Error())
	}
	logger, threshold := cfg.logger, cfg.failures
	b := &Breaker{name: name, retryAfter: cfg.retryAfter}
	b.cb = gobreaker.NewCircuitBreaker[*event.Event](gobreaker.Settings{
		Name:        name,
		MaxRequests: cfg.probes,
		Timeout:     cfg.openFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= threshold },
		IsSuccessful: func(err error) bool {
			c := handler.ClassOf(err)
			return c == handler.ClassNone || c == handler.ClassInvalidInput || c == handler.ClassPermanent
		},
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			logger.LogAttrs(context.Background(), slog.LevelWarn, "circuit breaker state change",
				slog.String("breaker", name), slog.String("from", from.String()), slog.String("to", to.String()))
			changes.Add(context.Background(), 1, metric.WithAttributes(
				attribute.String("fnkit.breaker", name), attribute.String("fnkit.breaker.state", to.String())))
		},
	})
	return b
}

// Name returns the breaker's name.
func (b *Breaker) Name() string { return b.name }

// State returns the breaker's state: "closed", "half-open" or "open".
func (b *Breaker) State() string { return b.cb.State().String() }

// Do runs fn through the breaker: fn's error is returned unchanged, or,
// without running fn, the breaker's throttled error. A panic in fn is
// counted as a failure and recovered into a *handler.PanicError. Use it to
// guard an outbound port (a publisher, a client) by decorating its methods.
func (b *Breaker) Do(fn func() error) error {
	_, err := b.execute(func() (*event.Event, error) {
		return nil, fn()
	})
	return err
}

func (b *Breaker) execute(fn func() (*event.Event, error)) (reply *event.Event, err error) {
	reply, err = b.cb.Execute(func() (r *event.Event, err error) {
		defer func() {
			if v := recover(); v != nil {
				r, err = nil, newPanicError(v)
			}
		}()
		return fn()
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return nil, handler.Throttled(fmt.Errorf("%w %q: %w", ErrCircuitOpen, b.name, err), b.retryAfter)
	}
	return reply, err
}

// Middleware returns a handler.Middleware that runs each invocation
// through b.
func (b *Breaker) Middleware() handler.Middleware {
	return func(next handler.Handler) handler.Handler {
		return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
			return b.execute(func() (*event.Event, error) { return next.Handle(ctx, e) })
		})
	}
}

// CircuitBreaker is NewBreaker(name, opts...).Middleware(): a breaker
// around the handler, opened by its own retryable failures.
//
//	h = handler.Chain(middleware.CircuitBreaker("orders", middleware.WithFailureThreshold(10)))(h)
func CircuitBreaker(name string, opts ...Option) handler.Middleware {
	return NewBreaker(name, opts...).Middleware()
}
