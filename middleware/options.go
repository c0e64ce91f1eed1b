package middleware

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnkit/fnkit/internal/ids"
)

// Option configures a middleware of this package. One Option type serves
// every middleware, so that DefaultStack takes them all in one call; a
// middleware ignores the options that are not about it (each WithXxx says
// which middleware reads it). Invalid values are wiring mistakes and panic
// when the option is made.
type Option func(*config)

type config struct {
	logger    *slog.Logger
	now       func() time.Time
	sleep     func(ctx context.Context, d time.Duration) error
	random    func() float64
	newID     func() string
	debugRate float64
	bufferLen int
	redact    []string

	tracerProvider trace.TracerProvider
	propagators    []propagation.TextMapPropagator
	meterProvider  metric.MeterProvider

	margin      time.Duration
	fixed       time.Duration
	maxAttempts int
	initialWait time.Duration
	maxWait     time.Duration

	failures   uint32
	openFor    time.Duration
	probes     uint32
	retryAfter time.Duration
	corrKey    string
	rules      []Rule
}

// Defaults of the options.
const (
	// DefaultDeadlineMargin is the time Timeout keeps back from the
	// platform's deadline, for the handler to report and flush.
	DefaultDeadlineMargin = 500 * time.Millisecond
	// DefaultMaxAttempts is how many times Retry runs a handler at most.
	DefaultMaxAttempts = 3
	// DefaultInitialBackoff is Retry's first wait, before jitter.
	DefaultInitialBackoff = 50 * time.Millisecond
	// DefaultMaxBackoff caps each of Retry's waits.
	DefaultMaxBackoff = 2 * time.Second
	// DefaultFailureThreshold is how many consecutive failures open a
	// CircuitBreaker.
	DefaultFailureThreshold = 5
	// DefaultOpenTimeout is how long a CircuitBreaker stays open before it
	// lets probe requests through.
	DefaultOpenTimeout = 10 * time.Second
	// DefaultRetryAfter is the wait that throttled errors of CircuitBreaker
	// and Concurrency suggest to the caller.
	DefaultRetryAfter = time.Second
	// DefaultCorrelationKey is the CloudEvents extension that carries the
	// correlation id.
	DefaultCorrelationKey = "correlationid"
)

func newConfig(opts []Option) *config {
	c := &config{
		margin:      DefaultDeadlineMargin,
		maxAttempts: DefaultMaxAttempts,
		initialWait: DefaultInitialBackoff,
		maxWait:     DefaultMaxBackoff,
		failures:    DefaultFailureThreshold,
		openFor:     DefaultOpenTimeout,
		probes:      1,
		retryAfter:  DefaultRetryAfter,
		corrKey:     DefaultCorrelationKey,
		now:         time.Now,
		sleep:       sleepCtx,
		random:      rand.Float64,
		newID:       ids.Next,
	}
	for _, o := range opts {
		o(c)
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.tracerProvider == nil {
		c.tracerProvider = otel.GetTracerProvider()
	}
	if c.meterProvider == nil {
		c.meterProvider = otel.GetMeterProvider()
	}
	if c.propagators == nil {
		c.propagators = []propagation.TextMapPropagator{propagation.TraceContext{}, CloudTraceContext{}}
	}
	return c
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WithLogger sets the logger of Logging's lines and of CircuitBreaker's
// state changes. The default is slog.Default() when the middleware is made.
func WithLogger(l *slog.Logger) Option {
	if l == nil {
		panic("middleware: WithLogger(nil)")
	}
	return func(c *config) { c.logger = l }
}

// WithClock sets the clock of Logging (durations) and Retry (its check
// that a wait ends before the deadline). The default is time.Now.
func WithClock(now func() time.Time) Option {
	if now == nil {
		panic("middleware: WithClock(nil)")
	}
	return func(c *config) { c.now = now }
}

// WithIDGenerator sets how Correlation makes an id for an event that has
// none. The default makes short ids unique across processes.
func WithIDGenerator(newID func() string) Option {
	if newID == nil {
		panic("middleware: WithIDGenerator(nil)")
	}
	return func(c *config) { c.newID = newID }
}

// WithTracerProvider sets the tracer provider of Tracing. The default is
// OpenTelemetry's global one (otel.GetTracerProvider), which is a no-op
// until a provider is installed (observe.Setup installs one).
func WithTracerProvider(tp trace.TracerProvider) Option {
	if tp == nil {
		panic("middleware: WithTracerProvider(nil)")
	}
	return func(c *config) { c.tracerProvider = tp }
}

// WithPropagators sets the formats Tracing reads a parent span from when
// the event carries no traceparent extension and the context no span, in
// order of preference: the first that yields a valid span context wins.
// The default is W3C Trace Context then Google's X-Cloud-Trace-Context
// (CloudTraceContext); observe.Propagators adds AWS X-Ray.
func WithPropagators(p ...propagation.TextMapPropagator) Option {
	for _, x := range p {
		if x == nil {
			panic("middleware: WithPropagators(nil)")
		}
	}
	return func(c *config) { c.propagators = append([]propagation.TextMapPropagator(nil), p...) }
}

// WithMeterProvider sets the meter provider of Metrics and CircuitBreaker.
// The default is OpenTelemetry's global one (otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	if mp == nil {
		panic("middleware: WithMeterProvider(nil)")
	}
	return func(c *config) { c.meterProvider = mp }
}

// withRandom replaces Logging's random source (tests use a seeded one).
func withRandom(f func() float64) Option {
	return func(c *config) { c.random = f }
}
