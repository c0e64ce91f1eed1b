package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/idempotency"
	"github.com/fnkit/fnkit/middleware"
	"github.com/fnkit/fnkit/state/memstore"
)

func ExampleIdempotency() {
	sent := 0
	notify := handler.TypedNoReply(func(ctx context.Context, msg string) error {
		sent++
		return nil
	})
	h := handler.Chain(middleware.Idempotency(memstore.New(), idempotency.WithScope("notify")))(notify)

	e := handlertest.NewEvent(handlertest.WithData("text/plain", []byte("hello")))
	for range 3 { // at-least-once delivery: the same event three times
		handlertest.Invoke(context.Background(), h, e)
	}
	fmt.Println("sent", sent)
	// Output: sent 1
}

// stableLogger writes JSON lines without the time and duration, so that
// examples print the same output every run.
func stableLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == "duration" || a.Key == "request_id" {
			return slog.Attr{}
		}
		return a
	}}))
}

func ExampleLogging() {
	h := handler.Chain(middleware.Logging(middleware.WithLogger(stableLogger())))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) {
			middleware.Logger(ctx).Info("charging", "authorization", "Bearer abc", "amount", 12)
			return nil, nil
		}))
	handlertest.Invoke(context.Background(), h, handlertest.NewEvent(handlertest.WithID("e1"), handlertest.WithType("com.example.pay"), handlertest.WithSource("/shop")))
	// Output:
	// {"level":"INFO","msg":"charging","event_id":"e1","authorization":"[REDACTED]","amount":12}
	// {"level":"INFO","msg":"invocation","event_type":"com.example.pay","event_source":"/shop","platform":"test","cold_start":false,"outcome":"success","event_id":"e1","attempt":1}
}

func ExampleLogging_debugBuffer() {
	h := handler.Chain(middleware.Logging(middleware.WithLogger(stableLogger()), middleware.WithDebugBuffer(10)))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) {
			middleware.Logger(ctx).Debug("looked up customer", "customer", e.Subject())
			if e.Subject() == "c2" {
				return nil, handler.Permanent(errors.New("customer blocked"))
			}
			return nil, nil
		}))
	for _, c := range []string{"c1", "c2"} { // the debug line is written only for the failure
		handlertest.Invoke(context.Background(), h, handlertest.NewEvent(handlertest.WithID(c), handlertest.WithSubject(c)))
	}
	// Output:
	// {"level":"INFO","msg":"invocation","event_type":"com.example.test","event_source":"/handlertest","platform":"test","cold_start":false,"outcome":"success","event_id":"c1","event_subject":"c1","attempt":1}
	// {"level":"DEBUG","msg":"looked up customer","event_id":"c2","customer":"c2"}
	// {"level":"WARN","msg":"invocation","event_type":"com.example.test","event_source":"/handlertest","platform":"test","cold_start":false,"outcome":"failure","event_id":"c2","event_subject":"c2","attempt":1,"error_class":"permanent","error":"handler: permanent failure: customer blocked"}
}

func ExampleTracing() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	h := handler.Chain(middleware.Tracing(middleware.WithTracerProvider(tp)))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))
	e := handlertest.NewEvent(handlertest.WithType("com.example.order"),
		handlertest.WithExtension("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
	handlertest.Invoke(context.Background(), h, e)
	s := rec.Ended()[0]
	fmt.Println(s.Name())
	fmt.Println("trace", s.SpanContext().TraceID(), "parent", s.Parent().SpanID())
	// Output:
	// CloudEvents Process com.example.order
	// trace 4bf92f3577b34da6a3ce929d0e0e4736 parent 00f067aa0ba902b7
}

func ExamplePropagate() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	h := handler.Chain(middleware.Tracing(middleware.WithTracerProvider(tp)))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) {
			out := event.New()
			out.SetID("shipped-1")
			out.SetType("com.example.shipped")
			out.SetSource("/warehouse")
			middleware.Propagate(ctx, &out) // the receiver's span will be a child of this one
			_, found := out.Extensions()["traceparent"]
			fmt.Println("traceparent set:", found)
			return nil, nil
		}))
	handlertest.Invoke(context.Background(), h, handlertest.NewEvent())
	// Output: traceparent set: true
}

func ExampleMetrics() {
	// Without a meter provider (see package observe) Metrics records into
	// OpenTelemetry's global no-op provider and costs almost nothing.
	h := handler.Chain(middleware.Metrics())(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))
	res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent())
	fmt.Println(res.Err)
	// Output: <nil>
}

func ExampleTimeout() {
	h := handler.Chain(middleware.Timeout(middleware.WithTimeout(20 * time.Millisecond)))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) {
			<-ctx.Done() // a slow call that honours its context
			return nil, ctx.Err()
		}))
	res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent())
	fmt.Println(res.Err, res.Class())
	// Output: context deadline exceeded retryable
}

func ExampleRetry() {
	calls := 0
	h := handler.Chain(middleware.Retry(middleware.WithBackoff(time.Millisecond, 4*time.Millisecond)))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) {
			calls++
			if middleware.Attempt(ctx) < 3 {
				return nil, errors.New("connection reset")
			}
			return nil, nil
		}))
	res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent())
	fmt.Println(res.Err, calls)
	// Output: <nil> 3
}

func ExampleCircuitBreaker() {
	h := handler.Chain(middleware.CircuitBreaker("payments", middleware.WithFailureThreshold(2),
		middleware.WithLogger(slog.New(slog.DiscardHandler))))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) {
			return nil, errors.New("payments API down")
		}))
	for range 3 {
		res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent())
		fmt.Println(res.Class(), errors.Is(res.Err, middleware.ErrCircuitOpen))
	}
	// Output:
	// retryable false
	// retryable false
	// throttled true
}

func ExampleBreaker_Do() {
	b := middleware.NewBreaker("publisher", middleware.WithFailureThreshold(1), middleware.WithLogger(slog.New(slog.DiscardHandler)))
	publish := func(ctx context.Context, e event.Event) error {
		return b.Do(func() error { return errors.New("broker unreachable") }) // the real publisher call goes here
	}
	fmt.Println(publish(context.Background(), handlertest.NewEvent()))
	fmt.Println(publish(context.Background(), handlertest.NewEvent()))
	fmt.Println(b.State())
	// Output:
	// broker unreachable
	// handler: throttled: middleware: circuit breaker open "publisher": circuit breaker is open
	// open
}

func ExampleConcurrency() {
	limit := middleware.Concurrency(1)
	block := make(chan struct{})
	started := make(chan struct{})
	slow := handler.Chain(limit)(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		close(started)
		<-block
		return nil, nil
	}))
	go handlertest.Invoke(context.Background(), slow, handlertest.NewEvent())
	<-started
	res := handlertest.Invoke(context.Background(), slow, handlertest.NewEvent())
	close(block)
	fmt.Println(res.Class(), errors.Is(res.Err, middleware.ErrConcurrencyLimit))
	// Output: throttled true
}

func ExampleCorrelation() {
	h := handler.Chain(middleware.Correlation())(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) {
			fmt.Println("correlation id:", middleware.CorrelationID(ctx))
			return nil, nil
		}))
	handlertest.Invoke(context.Background(), h, handlertest.NewEvent(handlertest.WithExtension("correlationid", "checkout-7")))
	// Output: correlation id: checkout-7
}

func ExampleValidate() {
	h := handler.Chain(middleware.Validate(
		middleware.AllowTypes("com.example.order.*"),
		middleware.MaxDataSize(1024),
	))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))
	res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent(handlertest.WithType("com.example.refund")))
	fmt.Println(res.Class())
	fmt.Println(res.Err)
	// Output:
	// invalid_input
	// handler: invalid input: middleware: event envelope breaks a rule: allowed_types: type "com.example.refund" is not one of com.example.order.*
}

func ExampleDefaultStack() {
	greet := handler.Typed(func(ctx context.Context, name string) (string, error) { return "Hello, " + name, nil })
	h := handler.Chain(
		middleware.DefaultStack(middleware.WithLogger(stableLogger()), middleware.WithRules(middleware.AllowTypes("com.example.*"))),
	)(greet)
	res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent(handlertest.WithID("g1"), handlertest.WithData("text/plain", []byte("Ada"))))
	fmt.Println(string(res.Reply.Data()))
	// Output:
	// {"level":"INFO","msg":"invocation","event_type":"com.example.test","event_source":"/handlertest","platform":"test","cold_start":false,"outcome":"success","event_id":"g1","attempt":1}
	// Hello, Ada
}
