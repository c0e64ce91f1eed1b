// Package middleware holds fnkit's handler middleware, one file per
// concern. Each constructor returns a handler.Middleware; compose them with
// handler.Chain, the first outermost, or take DefaultStack.
//
// The middleware run on every adapter, because they see only the
// context and the CloudEvent:
//
//   - Logging: one log/slog line per invocation, and a per-invocation
//     logger (Logger) with trace correlation, debug sampling, debug
//     buffering flushed on failure, and redaction;
//   - Tracing: one OpenTelemetry span per invocation, by the CloudEvents
//     and FaaS semantic conventions, continuing the event's traceparent;
//     Propagate continues the trace into emitted events;
//   - Metrics: OpenTelemetry invocation counts, errors by class, duration,
//     cold starts and in-flight invocations, with bounded attributes;
//   - Timeout: the platform's deadline minus a safety margin;
//   - Validate: envelope rules (types, sources, extensions, content types,
//     data size);
//   - Retry: bounded in-process retries of retryable errors with
//     exponential backoff and jitter;
//   - CircuitBreaker and Breaker: sony/gobreaker around the handler or
//     any outbound call;
//   - Concurrency: a bulkhead that sheds excess invocations as throttled;
//   - Correlation: a correlation id from the event or fresh;
//   - Idempotency: at most one execution per key (package idempotency).
//
// Every option is an Option; each middleware reads the ones its doc
// names. Tracing and Metrics use the OpenTelemetry API only: without a
// provider (see package observe) they cost close to nothing. Panics are
// recovered by handler.Call in every adapter; Logging, Tracing, Metrics
// and Retry recover a panic below them into the same *handler.PanicError
// so that they can record it, and return it.
//
// Complete functions using it, which "fnkit new" scaffolds:
// [github.com/fnkit/fnkit/examples/hello],
// [github.com/fnkit/fnkit/examples/http-api],
// [github.com/fnkit/fnkit/examples/saga].
package middleware
