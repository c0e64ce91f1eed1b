// Package observe sets up OpenTelemetry for a function in one call:
// FromEnv reads the standard OTEL_* environment, detects the platform's
// resource attributes (AWS Lambda, Cloud Functions, Cloud Run / Knative,
// local), and returns a Telemetry with tracer and meter providers,
// propagators (W3C Trace Context, baggage, AWS X-Ray, Google Cloud Trace),
// a Flush hook for platforms that freeze the process between invocations,
// and Shutdown.
//
//	tel, err := observe.FromEnv(ctx)
//	if err != nil {
//		return err // names the variable at fault
//	}
//	defer tel.Shutdown(context.Background())
//	h = handler.Chain(tel.FlushMiddleware(), middleware.DefaultStack(tel.Options()...))(h)
//
// Traces and metrics go out over OTLP/HTTP with protobuf bodies, encoded
// by this package (OpenTelemetry's OTLP exporters link gRPC, which would
// double a function's binary); metrics can also be written as CloudWatch
// Embedded Metric Format lines (WithEMF, OTEL_METRICS_EXPORTER=emf). With
// no endpoint configured, the providers are no-ops and cost almost
// nothing. Export failures never fail an invocation and are logged once,
// not per call.
//
// TraceHandler adds trace ids to the process-wide slog logger's records;
// BufferedWriter batches log lines into fewer system calls, flushed with
// the telemetry (WithFlushHook).
// Package observe/coldstart detects the cold start for adapters without
// linking OpenTelemetry.
//
// Complete functions using it, which "fnkit new" scaffolds:
// [github.com/fnkit/fnkit/examples/storage-processor].
package observe
