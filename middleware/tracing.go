package middleware

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnkit/fnkit/handler"
)

// ScopeName is the OpenTelemetry instrumentation scope of this package's
// tracer and meter.
const ScopeName = "github.com/fnkit/fnkit/middleware"

// Tracing starts one OpenTelemetry span per invocation, following the
// semantic conventions for CloudEvents and FaaS: it is named
// "CloudEvents Process <event type>", of kind server for HTTP and consumer
// otherwise, with the attributes cloudevents.event_id, event_source,
// event_type, event_spec_version, event_subject, faas.trigger,
// faas.invocation_id, faas.coldstart and fnkit.platform (and
// fnkit.correlation_id inside Correlation).
//
// The parent is the event's traceparent (and tracestate) extension, from
// the CloudEvents distributed-tracing extension; else a span already in
// the context; else the first of the propagators (WithPropagators) that
// finds a valid span context in the transport headers the adapter put in
// the context with ContextWithCarrier (W3C traceparent, Google's
// X-Cloud-Trace-Context, AWS X-Ray with observe.Propagators). A malformed
// traceparent is ignored. The handler's context carries the span, so
// Propagate and outbound calls continue the trace.
//
// A failure sets the span status to Error with the error class as
// description and the attribute error.type; retryable failures are also
// recorded as an exception event. A panic in the handler is recovered
// into a *handler.PanicError, recorded as one (without its stack) and
// returned. Event attributes, and the type in the span name, are cut at
// 512 bytes, so a hostile event cannot make a span huge. Reads
// WithTracerProvider and WithPropagators. With the default
// no-op provider, or an unsampled span, it costs little and allocates
// nothing per invocation.
func Tracing(opts ...Option) handler.Middleware {
	cfg := newConfig(opts)
	t := &tracing{tracer: cfg.tracerProvider.Tracer(ScopeName), props: cfg.propagators,
		server:   []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)},
		consumer: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer)}}
	return func(next handler.Handler) handler.Handler {
		return &tracingHandler{t: t, next: next}
	}
}

type tracing struct {
	tracer trace.Tracer
	props  []propagation.TextMapPropagator
	names  atomic.Pointer[[2]string] // last event type and its span name

	server, consumer []trace.SpanStartOption // made once: passing them does not allocate
}

type tracingHandler struct {
	t    *tracing
	next handler.Handler
}

// spanName returns the span name for an event type, remembering the last
// one so that a function that sees one type does not build it each time.
func (t *tracing) spanName(typ string) string {
	if p := t.names.Load(); p != nil && p[0] == typ {
		return p[1]
	}
	n := &[2]string{typ, "CloudEvents Process " + clip(typ)}
	t.names.Store(n)
	return n[1]
}

func (h *tracingHandler) Handle(ctx context.Context, e event.Event) (reply *event.Event, err error) {
	t := h.t
	ctx = t.parent(ctx, e.Extensions())
	inv, _ := handler.InvocationFrom(ctx)
	opts := t.consumer
	if inv.Platform == handler.PlatformHTTP {
		opts = t.server
	}
	ctx, span := t.tracer.Start(ctx, t.spanName(e.Type()), opts...)
	if st := logStateFrom(ctx); st != nil {
		st.span = span.SpanContext()
	}
	if span.IsRecording() {
		attrs := []attribute.KeyValue{
			attribute.String("cloudevents.event_id", clip(e.ID())),
			attribute.String("cloudevents.event_source", clip(e.Source())),
			attribute.String("cloudevents.event_type", clip(e.Type())),
			attribute.String("cloudevents.event_spec_version", e.SpecVersion()),
			attribute.String("faas.trigger", trigger(inv.Platform)),
			attribute.Bool("faas.coldstart", inv.ColdStart),
			attribute.String("fnkit.platform", inv.Platform),
		}
		if s := e.Subject(); s != "" {
			attrs = append(attrs, attribute.String("cloudevents.event_subject", clip(s)))
		}
		if inv.RequestID != "" {
			attrs = append(attrs, attribute.String("faas.invocation_id", clip(inv.RequestID)))
		}
		if c := CorrelationID(ctx); c != "" {
			attrs = append(attrs, attribute.String("fnkit.correlation_id", c))
		}
		span.SetAttributes(attrs...)
	}
	defer func() {
		if v := recover(); v != nil {
			reply, err = nil, newPanicError(v)
		}
		if err != nil && span.IsRecording() {
			class := handler.ClassOf(err)
			var p *handler.PanicError
			errType := class.String()
			if errors.As(err, &p) {
				errType = "panic"
			}
			span.SetAttributes(attribute.String("error.type", errType))
			if class == handler.ClassRetryable {
				span.RecordError(err)
			}
			span.SetStatus(codes.Error, errType)
		}
		span.End()
	}()
	return h.next.Handle(ctx, e)
}

// trigger maps a platform to the faas.trigger attribute.
func trigger(platform string) string {
	if platform == handler.PlatformHTTP {
		return "http"
	}
	return "pubsub"
}

// parent returns ctx with the parent span context of the invocation.
func (t *tracing) parent(ctx context.Context, ext map[string]any) context.Context {
	if _, ok := ext[traceparentExt]; ok {
		pctx := propagation.TraceContext{}.Extract(ctx, extCarrier(ext))
		if trace.SpanContextFromContext(pctx).IsValid() {
			return pctx
		}
	}
	if trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	c, ok := ctx.Value(carrierKey{}).(propagation.TextMapCarrier)
	if !ok {
		return ctx
	}
	for _, p := range t.props {
		pctx := p.Extract(ctx, c)
		if trace.SpanContextFromContext(pctx).IsValid() {
			return pctx
		}
	}
	return ctx
}

const (
	traceparentExt = "traceparent"
	tracestateExt  = "tracestate"
)

// eventCarrier reads and writes the distributed-tracing extension of an
// event as a propagation.TextMapCarrier.
type eventCarrier struct{ e *event.Event }

func (c eventCarrier) Get(key string) string {
	s, _ := extString(c.e, key)
	return s
}

func (c eventCarrier) Set(key, value string) {
	if key == traceparentExt || key == tracestateExt {
		c.e.SetExtension(key, value)
	}
}

func (c eventCarrier) Keys() []string { return []string{traceparentExt, tracestateExt} }

// extCarrier reads the distributed-tracing extension from an event's
// extensions without taking the event's address (which would move it to
// the heap).
type extCarrier map[string]any

func (c extCarrier) Get(key string) string {
	v, ok := c[key]
	if !ok {
		return ""
	}
	s, err := types.Format(v)
	if err != nil {
		return ""
	}
	return s
}

func (c extCarrier) Set(string, string) {}

func (c extCarrier) Keys() []string { return []string{traceparentExt, tracestateExt} }

type carrierKey struct{}

// ContextWithCarrier returns a copy of ctx that carries the transport
// headers of the invocation (for example propagation.HeaderCarrier of an
// HTTP request, or a MapCarrier holding Lambda's X-Amzn-Trace-Id), in
// which Tracing looks for a parent span when the event has none. Adapters
// call it.
func ContextWithCarrier(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	return context.WithValue(ctx, carrierKey{}, c)
}

// Propagate writes the current span of ctx into e as the CloudEvents
// distributed-tracing extension (traceparent, tracestate), and the
// correlation id of ctx, if any, as its correlation extension, so that the
// handler that receives e continues the trace. Call it on events a handler
// emits. It leaves e's trace extensions alone when ctx has no valid span.
func Propagate(ctx context.Context, e *event.Event) {
	if trace.SpanContextFromContext(ctx).IsValid() {
		propagation.TraceContext{}.Inject(ctx, eventCarrier{e})
	}
	if c, ok := ctx.Value(corrKeyT{}).(*corrCtx); ok {
		e.SetExtension(c.key, c.id)
	}
}
