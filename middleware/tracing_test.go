package middleware

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

func newRecorder() (*tracetest.SpanRecorder, trace.TracerProvider) {
	rec := tracetest.NewSpanRecorder()
	return rec, sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
}

func attrMap(kv []attribute.KeyValue) map[string]any {
	m := map[string]any{}
	for _, a := range kv {
		m[string(a.Key)] = a.Value.AsInterface()
	}
	return m
}

const (
	parentTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	parentSpan  = "00f067aa0ba902b7"
)

func TestTracingSpan(t *testing.T) {
	rec, tp := newRecorder()
	h := Tracing(WithTracerProvider(tp))(handler.Func(ok))
	ctx := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformHTTP, RequestID: "r-1", ColdStart: true})
	e := newEvent(handlertest.WithID("ev-1"), handlertest.WithType("com.example.order"), handlertest.WithSource("/shop"), handlertest.WithSubject("o-1"))
	if _, err := h.Handle(ctx, e); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0]
	if s.Name() != "CloudEvents Process com.example.order" || s.SpanKind() != trace.SpanKindServer {
		t.Fatalf("name %q kind %v", s.Name(), s.SpanKind())
	}
	want := map[string]any{"cloudevents.event_id": "ev-1", "cloudevents.event_type": "com.example.order", "cloudevents.event_source": "/shop",
		"cloudevents.event_subject": "o-1", "cloudevents.event_spec_version": "1.0", "faas.trigger": "http", "faas.invocation_id": "r-1",
		"faas.coldstart": true, "fnkit.platform": "http"}
	got := attrMap(s.Attributes())
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if s.Parent().IsValid() || s.Status().Code != codes.Unset {
		t.Fatalf("parent %v status %v", s.Parent(), s.Status())
	}
}

func TestTracingParent(t *testing.T) {
	traceparent := "00-" + parentTrace + "-" + parentSpan + "-01"
	xcloud := "105445aa7843bc8bf206b12000100000/1;o=1"
	cases := []struct {
		name      string
		ext       map[string]string
		headers   http.Header
		wantTrace string
		wantSpan  string
	}{
		{"event traceparent", map[string]string{"traceparent": traceparent}, nil, parentTrace, parentSpan},
		{"event beats headers", map[string]string{"traceparent": traceparent},
			http.Header{"Traceparent": {"00-11111111111111111111111111111111-2222222222222222-01"}}, parentTrace, parentSpan},
		{"w3c header", nil, http.Header{"Traceparent": {traceparent}}, parentTrace, parentSpan},
		{"google header", nil, http.Header{"X-Cloud-Trace-Context": {xcloud}}, "105445aa7843bc8bf206b12000100000", "0000000000000001"},
		{"invalid traceparent falls back", map[string]string{"traceparent": "00-zz-yy-01"}, http.Header{"Traceparent": {traceparent}}, parentTrace, parentSpan},
		{"all-zero trace id ignored", map[string]string{"traceparent": "00-00000000000000000000000000000000-" + parentSpan + "-01"}, nil, "", ""},
		{"hostile huge value ignored", map[string]string{"traceparent": string(make([]byte, 1<<16))}, nil, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, tp := newRecorder()
			h := Tracing(WithTracerProvider(tp))(handler.Func(ok))
			var opts []handlertest.EventOption
			for k, v := range c.ext {
				opts = append(opts, handlertest.WithExtension(k, v))
			}
			ctx := context.Background()
			if c.headers != nil {
				ctx = ContextWithCarrier(ctx, propagation.HeaderCarrier(c.headers))
			}
			if _, err := invoke(ctx, h, newEvent(opts...)); err != nil {
				t.Fatal(err)
			}
			s := rec.Ended()[0]
			if c.wantTrace == "" {
				if s.Parent().IsValid() {
					t.Fatalf("parent %v from invalid input", s.Parent())
				}
				return
			}
			if s.Parent().TraceID().String() != c.wantTrace || s.Parent().SpanID().String() != c.wantSpan || !s.Parent().IsRemote() {
				t.Fatalf("parent %v/%v", s.Parent().TraceID(), s.Parent().SpanID())
			}
			if s.SpanContext().TraceID().String() != c.wantTrace {
				t.Fatalf("span in trace %v", s.SpanContext().TraceID())
			}
		})
	}
}

// TestTracingAcrossEvents publishes an event from one handler and receives
// it in another: the receiver's span is a child of the publisher's.
func TestTracingAcrossEvents(t *testing.T) {
	rec, tp := newRecorder()
	var emitted event.Event
	publisher := Tracing(WithTracerProvider(tp))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		emitted = newEvent(handlertest.WithType("com.example.shipped"))
		Propagate(ctx, &emitted)
		return nil, nil
	}))
	receiver := Tracing(WithTracerProvider(tp))(handler.Func(ok))
	if _, err := invoke(context.Background(), publisher, newEvent(handlertest.WithType("com.example.order"))); err != nil {
		t.Fatal(err)
	}
	if err := emitted.Validate(); err != nil {
		t.Fatalf("emitted event invalid: %v", err)
	}
	if _, err := invoke(context.Background(), receiver, emitted); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	pub, recv := spans[0], spans[1]
	if recv.Parent().SpanID() != pub.SpanContext().SpanID() || recv.SpanContext().TraceID() != pub.SpanContext().TraceID() {
		t.Fatalf("receiver parent %v, publisher %v", recv.Parent(), pub.SpanContext())
	}
	if recv.Name() != "CloudEvents Process com.example.shipped" {
		t.Fatal(recv.Name())
	}
}

func TestTracingErrors(t *testing.T) {
	cases := []struct {
		name      string
		h         handler.Handler
		errType   string
		exception bool
	}{
		{"retryable", failWith(errors.New("db down")), "retryable", true},
		{"invalid", failWith(handler.InvalidInputf("bad")), "invalid_input", false},
		{"permanent", failWith(handler.Permanent(errors.New("no"))), "permanent", false},
		{"panic", handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) { panic("boom") }), "panic", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, tp := newRecorder()
			_, err := invoke(context.Background(), Tracing(WithTracerProvider(tp))(c.h), newEvent())
			if err == nil {
				t.Fatal("no error")
			}
			s := rec.Ended()[0]
			if s.Status().Code != codes.Error || s.Status().Description != c.errType || attrMap(s.Attributes())["error.type"] != c.errType {
				t.Fatalf("status %v attrs %v", s.Status(), s.Attributes())
			}
			if got := len(s.Events()) > 0; got != c.exception {
				t.Fatalf("exception event %v, want %v", got, c.exception)
			}
			for _, ev := range s.Events() {
				for _, a := range ev.Attributes {
					if a.Key == "exception.stacktrace" {
						t.Fatal("stack recorded in span")
					}
				}
			}
		})
	}
}

func TestTracingIntoLogLine(t *testing.T) {
	rec, tp := newRecorder()
	lg, buf := jsonLogger(slog.LevelInfo)
	h := handler.Chain(Logging(WithLogger(lg)), Tracing(WithTracerProvider(tp)))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		Logger(ctx).Info("inside")
		return nil, nil
	}))
	_, _ = invoke(context.Background(), h, newEvent())
	sc := rec.Ended()[0].SpanContext()
	for _, l := range lines(t, buf) {
		if l["trace_id"] != sc.TraceID().String() || l["span_id"] != sc.SpanID().String() {
			t.Fatalf("%v: want trace %v span %v", l, sc.TraceID(), sc.SpanID())
		}
	}
}

func TestTracingNotSampled(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSpanProcessor(rec))
	var inner trace.SpanContext
	h := Tracing(WithTracerProvider(tp))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inner = trace.SpanContextFromContext(ctx)
		return nil, nil
	}))
	_, _ = invoke(context.Background(), h, newEvent(handlertest.WithExtension("traceparent", "00-"+parentTrace+"-"+parentSpan+"-00")))
	if len(rec.Ended()) != 0 {
		t.Fatal("unsampled span exported")
	}
	if inner.TraceID().String() != parentTrace || inner.IsSampled() {
		t.Fatalf("handler context %v", inner)
	}
}

func TestTracingHugeEvent(t *testing.T) {
	rec, tp := newRecorder()
	huge := strings.Repeat("t", 1<<20)
	e := newEvent(handlertest.WithType(huge), handlertest.WithSubject(huge), handlertest.WithID(huge))
	if _, err := invoke(context.Background(), Tracing(WithTracerProvider(tp))(handler.Func(ok)), e); err != nil {
		t.Fatal(err)
	}
	s := rec.Ended()[0]
	if len(s.Name()) > 600 {
		t.Fatalf("span name of %d bytes", len(s.Name()))
	}
	for _, a := range s.Attributes() {
		if len(a.Value.String()) > 600 {
			t.Fatalf("attribute %s of %d bytes", a.Key, len(a.Value.String()))
		}
	}
}
