package observe

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/middleware"
)

// Option configures FromEnv.
type Option func(*config)

type config struct {
	lookup     func(string) (string, bool)
	logger     *slog.Logger
	emfOut     io.Writer
	emfNS      string
	emf        bool
	globals    bool
	attrs      []attribute.KeyValue
	client     *http.Client
	flushLimit time.Duration
	hooks      []func(context.Context) error
}

// DefaultFlushTimeout bounds each Flush called by FlushMiddleware.
const DefaultFlushTimeout = 2 * time.Second

// WithLookupEnv sets how FromEnv reads variables: os.LookupEnv by default.
// Tests pass a map's lookup.
func WithLookupEnv(lookup func(string) (string, bool)) Option {
	if lookup == nil {
		panic("observe: WithLookupEnv(nil)")
	}
	return func(c *config) { c.lookup = lookup }
}

// WithLogger sets the logger of export failures: slog.Default() by
// default.
func WithLogger(l *slog.Logger) Option {
	if l == nil {
		panic("observe: WithLogger(nil)")
	}
	return func(c *config) { c.logger = l }
}

// WithEMF writes metrics as CloudWatch Embedded Metric Format lines to w
// (os.Stdout on Lambda, where CloudWatch Logs extracts them), in namespace
// ns, at every flush and export interval, instead of or as well as OTLP.
// OTEL_METRICS_EXPORTER=emf does the same with os.Stdout and the namespace
// "fnkit". Use it on Lambda without a collector.
func WithEMF(w io.Writer, ns string) Option {
	if w == nil || ns == "" {
		panic("observe: WithEMF needs a writer and a namespace")
	}
	return func(c *config) { c.emf, c.emfOut, c.emfNS = true, w, ns }
}

// WithoutGlobals keeps FromEnv from installing its providers, propagator
// and error handler as OpenTelemetry's globals (otel.SetTracerProvider and
// friends). Pass Telemetry.Options to the middleware instead.
func WithoutGlobals() Option { return func(c *config) { c.globals = false } }

// WithResourceAttributes adds resource attributes, over the detected ones
// and OTEL_RESOURCE_ATTRIBUTES (OTEL_SERVICE_NAME still wins for
// service.name).
func WithResourceAttributes(kv ...attribute.KeyValue) Option {
	return func(c *config) { c.attrs = append(c.attrs, kv...) }
}

// WithHTTPClient sets the client of the OTLP exporters.
func WithHTTPClient(cl *http.Client) Option {
	if cl == nil {
		panic("observe: WithHTTPClient(nil)")
	}
	return func(c *config) { c.client = cl }
}

// WithFlushHook adds fn to what Flush (and so FlushMiddleware) and
// Shutdown do, after the providers: for example a BufferedWriter's
// FlushContext, so that buffered log lines are written before a Lambda
// invocation returns.
func WithFlushHook(fn func(context.Context) error) Option {
	if fn == nil {
		panic("observe: WithFlushHook(nil)")
	}
	return func(c *config) { c.hooks = append(c.hooks, fn) }
}

// WithFlushTimeout bounds each flush of FlushMiddleware:
// DefaultFlushTimeout by default. Zero or negative panics.
func WithFlushTimeout(d time.Duration) Option {
	if d <= 0 {
		panic("observe: WithFlushTimeout: duration must be positive")
	}
	return func(c *config) { c.flushLimit = d }
}

// Telemetry is the OpenTelemetry setup of a function: tracer and meter
// providers, propagators and resource. Its methods are safe for concurrent
// use.
type Telemetry struct {
	tp         *sdktrace.TracerProvider // nil without trace export
	mp         *sdkmetric.MeterProvider // nil without metric export
	tracer     trace.TracerProvider
	meter      metric.MeterProvider
	props      []propagation.TextMapPropagator
	global     propagation.TextMapPropagator
	res        *resource.Resource
	rep        *reporter
	flushLimit time.Duration
	platform   string
	sampler    string
	hooks      []func(context.Context) error
}

// FromEnv sets up OpenTelemetry from the standard environment:
// OTEL_SDK_DISABLED, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
// OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER (otlp, none; emf for
// metrics), OTEL_EXPORTER_OTLP_ENDPOINT and its _TRACES_/_METRICS_ forms,
// _HEADERS, _COMPRESSION (gzip), _TIMEOUT, _PROTOCOL (http/protobuf only),
// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, OTEL_TRACES_SAMPLER
// and _ARG, OTEL_METRIC_EXPORT_INTERVAL and OTEL_PROPAGATORS (tracecontext,
// baggage, xray, cloudtrace; all four by default). Resource attributes are
// detected for AWS Lambda, Cloud Functions, Cloud Run / Knative and local
// runs.
//
// With no endpoint and no exporter named, nothing is exported and the
// providers are OpenTelemetry's no-op ones: spans still continue an
// incoming trace (ids propagate), and nothing is allocated for them. A
// variable FromEnv cannot use is an error matching ErrConfig that names
// it; FromEnv then sets nothing up.
//
// Unless WithoutGlobals, the providers, a composite propagator and an
// error handler become OpenTelemetry's globals, which fnkit's middleware
// use by default. Export failures are logged once (WithLogger), not per
// export, until an export succeeds again; the function keeps serving.
// Call Shutdown before the process exits, and Flush (or use
// FlushMiddleware) at the end of each invocation where the platform
// freezes the process between invocations (AWS Lambda).
func FromEnv(ctx context.Context, opts ...Option) (*Telemetry, error) {
	cfg := &config{lookup: os.LookupEnv, globals: true, flushLimit: DefaultFlushTimeout}
	for _, o := range opts {
		o(cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	env, err := readEnv(cfg.lookup)
	if err != nil {
		return nil, err
	}
	detected, platform := detect(cfg.lookup)
	t := &Telemetry{
		res:        buildResource(env, detected, cfg.attrs),
		rep:        &reporter{logger: cfg.logger},
		flushLimit: cfg.flushLimit,
		platform:   platform,
		sampler:    env.samplerName,
		hooks:      cfg.hooks,
	}
	t.props, t.global = propagators(env.propagatorNames)
	if env.disabled {
		env.tracesURL, env.metricsURL, env.emf, cfg.emf = "", "", false, false
	}
	client := cfg.client
	if client == nil {
		client = &http.Client{}
	}
	if env.tracesURL != "" {
		ep := &endpoint{url: env.tracesURL, headers: env.traceHeaders, gzip: env.traceGzip, timeout: env.timeout, client: client, reporter: t.rep}
		t.tp = sdktrace.NewTracerProvider(sdktrace.WithResource(t.res), sdktrace.WithSampler(env.sampler),
			sdktrace.WithBatcher(&spanExporter{ep: ep}))
		t.tracer = t.tp
	} else {
		t.tracer = tracenoop.NewTracerProvider()
	}
	var readers []sdkmetric.Option
	if env.metricsURL != "" {
		ep := &endpoint{url: env.metricsURL, headers: env.metricHeaders, gzip: env.metricGzip, timeout: env.timeout, client: client, reporter: t.rep}
		readers = append(readers, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(&metricExporter{ep: ep, temp: env.temporality},
			sdkmetric.WithInterval(env.metricInterval), sdkmetric.WithTimeout(env.timeout))))
	}
	if cfg.emf || env.emf {
		w, ns := cfg.emfOut, cfg.emfNS
		if w == nil {
			w, ns = os.Stdout, "fnkit"
		}
		readers = append(readers, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(newEMF(w, ns, t.rep),
			sdkmetric.WithInterval(env.metricInterval))))
	}
	if len(readers) > 0 {
		t.mp = sdkmetric.NewMeterProvider(append(readers, sdkmetric.WithResource(t.res))...)
		t.meter = t.mp
	} else {
		t.meter = metricnoop.NewMeterProvider()
	}
	if cfg.globals {
		otel.SetTracerProvider(t.tracer)
		otel.SetMeterProvider(t.meter)
		otel.SetTextMapPropagator(t.global)
		otel.SetErrorHandler(otel.ErrorHandlerFunc(t.rep.result))
	}
	return t, nil
}

func propagators(names []string) ([]propagation.TextMapPropagator, propagation.TextMapPropagator) {
	var carriers, all []propagation.TextMapPropagator
	for _, n := range names {
		switch n {
		case "tracecontext":
			carriers = append(carriers, propagation.TraceContext{})
			all = append(all, propagation.TraceContext{})
		case "baggage":
			all = append(all, propagation.Baggage{})
		case "xray":
			carriers = append(carriers, xray.Propagator{})
			all = append(all, xray.Propagator{})
		case "cloudtrace":
			carriers = append(carriers, middleware.CloudTraceContext{})
			all = append(all, middleware.CloudTraceContext{})
		}
	}
	if carriers == nil {
		carriers = []propagation.TextMapPropagator{}
	}
	return carriers, propagation.NewCompositeTextMapPropagator(all...)
}

// TracerProvider returns the tracer provider: the SDK's when traces are
// exported, else a no-op one.
func (t *Telemetry) TracerProvider() trace.TracerProvider { return t.tracer }

// MeterProvider returns the meter provider: the SDK's when metrics are
// exported (OTLP or EMF), else a no-op one.
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.meter }

// Propagators returns the trace-context formats, in order of preference,
// that Tracing reads transport headers with (see
// middleware.WithPropagators): by default W3C Trace Context, AWS X-Ray and
// Google's X-Cloud-Trace-Context.
func (t *Telemetry) Propagators() []propagation.TextMapPropagator { return t.props }

// Propagator returns all configured propagators as one composite
// (baggage included), for outbound HTTP calls.
func (t *Telemetry) Propagator() propagation.TextMapPropagator { return t.global }

// Resource returns the resource that describes the process.
func (t *Telemetry) Resource() *resource.Resource { return t.res }

// Platform returns the detected platform: "aws_lambda",
// "gcp_cloud_functions", "knative" (Cloud Run included) or "local".
func (t *Telemetry) Platform() string { return t.platform }

// Exporting reports whether traces and metrics are exported.
func (t *Telemetry) Exporting() (traces, metrics bool) { return t.tp != nil, t.mp != nil }

// Options returns the middleware options that point Tracing, Metrics and
// CircuitBreaker at this setup, for use with WithoutGlobals:
//
//	h = handler.Chain(middleware.DefaultStack(tel.Options()...))(h)
func (t *Telemetry) Options() []middleware.Option {
	return []middleware.Option{middleware.WithTracerProvider(t.tracer), middleware.WithMeterProvider(t.meter),
		middleware.WithPropagators(t.props...)}
}

// Flush exports every ended span and the current metrics now, and waits
// for it within ctx. Adapters for platforms that freeze the process
// between invocations call it before reporting each invocation's result.
// The error, if any, has already been logged once by Telemetry; callers
// need not log it again.
func (t *Telemetry) Flush(ctx context.Context) error {
	before := t.rep.failures.Load()
	var errs []error
	if t.tp != nil {
		errs = append(errs, t.tp.ForceFlush(ctx))
	}
	if t.mp != nil {
		errs = append(errs, t.mp.ForceFlush(ctx))
	}
	if t.rep.failures.Load() != before {
		if last := t.rep.last.Load(); last != nil {
			errs = append(errs, *last)
		}
	}
	for _, h := range t.hooks {
		errs = append(errs, h(ctx))
	}
	return errors.Join(errs...)
}

// Shutdown flushes and stops the providers. Later spans and metrics are
// dropped.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	if t.tp != nil {
		errs = append(errs, t.tp.Shutdown(ctx))
	}
	if t.mp != nil {
		errs = append(errs, t.mp.Shutdown(ctx))
	}
	for _, h := range t.hooks {
		errs = append(errs, h(ctx))
	}
	t.rep.close()
	return errors.Join(errs...)
}

// FlushMiddleware returns a middleware that calls Flush after each
// invocation, bounded by WithFlushTimeout and not by the invocation's own
// context (which may be done), so that a frozen process loses nothing.
// Put it outermost, outside Logging. Without exporters or flush hooks it
// does nothing.
func (t *Telemetry) FlushMiddleware() handler.Middleware {
	return func(next handler.Handler) handler.Handler {
		if t.tp == nil && t.mp == nil && len(t.hooks) == 0 {
			return next
		}
		return handler.Func(func(ctx context.Context, e eventT) (*eventT, error) {
			reply, err := callSafe(ctx, next, e)
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.flushLimit)
			_ = t.Flush(fctx)
			cancel()
			return reply, err
		})
	}
}

// reporter logs export failures once per run of failures.
// Exporters report to it and return nil to the SDK, which would otherwise
// hand every failure to OpenTelemetry's error handler (logged each time).
type reporter struct {
	logger     *slog.Logger
	failing    atomic.Bool
	suppressed atomic.Int64
	failures   atomic.Int64 // every failed export, for Flush
	last       atomic.Pointer[error]
}

func (r *reporter) result(err error) {
	if r == nil {
		return
	}
	if err != nil {
		r.failures.Add(1)
		r.last.Store(&err)
	}
	if err == nil {
		if r.failing.Swap(false) {
			r.logger.LogAttrs(context.Background(), slog.LevelInfo, "telemetry export recovered",
				slog.Int64("failures_not_logged", r.suppressed.Swap(0)))
		}
		return
	}
	if r.failing.Swap(true) {
		r.suppressed.Add(1)
		return
	}
	r.logger.LogAttrs(context.Background(), slog.LevelWarn, "telemetry export failed; further failures are not logged until an export succeeds",
		slog.String("error", err.Error()))
}

func (r *reporter) close() {
	if n := r.suppressed.Load(); n > 0 {
		r.logger.LogAttrs(context.Background(), slog.LevelWarn, "telemetry export failures not logged", slog.Int64("count", n))
	}
}
