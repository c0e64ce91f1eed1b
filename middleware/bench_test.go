package middleware

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

// The benchmarks run each middleware around the same trivial handler, so
// that ns/op and allocs/op over BenchmarkBare are the middleware's own
// cost. Logging writes JSON at Info to io.Discard.

func benchEvent() event.Event {
	return handlertest.NewEvent(handlertest.WithID("ev-1"), handlertest.WithType("com.example.order"),
		handlertest.WithSource("/shop"), handlertest.WithJSON(map[string]int{"qty": 2}))
}

func benchCtx() context.Context {
	return handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformHTTP, RequestID: "req-1", Attempt: 1})
}

func run(b *testing.B, mw ...handler.Middleware) {
	b.Helper()
	h := handler.Chain(mw...)(handler.Func(ok))
	e, ctx := benchEvent(), benchCtx()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.Handle(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}

func infoLogger() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

func neverSampled() *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
}

func BenchmarkBare(b *testing.B) { run(b) }

func BenchmarkLogging(b *testing.B) { run(b, Logging(WithLogger(infoLogger()))) }

func BenchmarkLoggingDisabled(b *testing.B) {
	run(b, Logging(WithLogger(slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})))))
}

func BenchmarkTracingNoop(b *testing.B) { run(b, Tracing()) }

func BenchmarkTracingNeverSampled(b *testing.B) { run(b, Tracing(WithTracerProvider(neverSampled()))) }

func BenchmarkTracingSampledInMemory(b *testing.B) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	h := Tracing(WithTracerProvider(tp))(handler.Func(ok))
	e, ctx := benchEvent(), benchCtx()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		_, _ = h.Handle(ctx, e)
		if n++; n%4096 == 0 {
			exp.Reset()
		}
	}
}

func BenchmarkMetricsNoop(b *testing.B) { run(b, Metrics()) }

func BenchmarkMetricsSDK(b *testing.B) {
	run(b, Metrics(WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())))))
}

func BenchmarkTimeout(b *testing.B) { run(b, Timeout(WithTimeout(time.Minute))) }

func BenchmarkValidate(b *testing.B) {
	run(b, Validate(AllowTypes("com.example.*"), AllowSources("/shop"), AllowDataContentTypes("application/json"), MaxDataSize(1<<20)))
}

func BenchmarkRetry(b *testing.B) { run(b, Retry()) }

func BenchmarkCircuitBreaker(b *testing.B) { run(b, CircuitBreaker("bench")) }

func BenchmarkConcurrency(b *testing.B) { run(b, Concurrency(64)) }

func BenchmarkCorrelation(b *testing.B) { run(b, Correlation()) }

// BenchmarkDefaultStack is the budget case: logging at info,
// tracing on a never-sampling SDK provider, metrics on an SDK provider.
func BenchmarkDefaultStack(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	run(b, DefaultStack(WithLogger(infoLogger()), WithTracerProvider(neverSampled()), WithMeterProvider(mp)))
}

// BenchmarkDefaultStackNoop has no OpenTelemetry providers installed.
func BenchmarkDefaultStackNoop(b *testing.B) { run(b, DefaultStack(WithLogger(infoLogger()))) }

// BenchmarkDefaultStackSampled samples every span into memory.
func BenchmarkDefaultStackSampled(b *testing.B) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	h := DefaultStack(WithLogger(infoLogger()), WithTracerProvider(tp), WithMeterProvider(mp))(handler.Func(ok))
	e, ctx := benchEvent(), benchCtx()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		_, _ = h.Handle(ctx, e)
		if n++; n%4096 == 0 {
			exp.Reset()
		}
	}
}

// BenchmarkSlogLine is the bare alternative to Logging: the same line
// written by hand with slog.LogAttrs, as a function would without fnkit.
func BenchmarkSlogLine(b *testing.B) {
	lg := infoLogger()
	e, ctx := benchEvent(), benchCtx()
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		_, _ = ok(ctx, e)
		lg.LogAttrs(ctx, slog.LevelInfo, "invocation", slog.String("event_id", e.ID()), slog.String("event_type", e.Type()),
			slog.String("event_source", e.Source()), slog.String("platform", "http"), slog.String("request_id", "req-1"),
			slog.Int("attempt", 1), slog.Bool("cold_start", false), slog.Duration("duration", time.Since(start)), slog.String("outcome", "success"))
	}
}

// BenchmarkDefaultStackWithDeadline is BenchmarkDefaultStack on a platform
// that sets a deadline (Lambda always does), so Timeout applies one.
func BenchmarkDefaultStackWithDeadline(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	h := DefaultStack(WithLogger(infoLogger()), WithTracerProvider(neverSampled()), WithMeterProvider(mp))(handler.Func(ok))
	e := benchEvent()
	ctx := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformAWSLambda, RequestID: "req-1",
		Deadline: time.Now().Add(time.Hour)})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Handle(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}
