package middleware

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

func TestDefaultStack(t *testing.T) {
	lg, buf := jsonLogger(slog.LevelInfo)
	rec, tp := newRecorder()
	r, mp := newReader()
	var deadline time.Time
	var span trace.SpanContext
	h := DefaultStack(WithLogger(lg), WithTracerProvider(tp), WithMeterProvider(mp), WithTimeout(time.Minute),
		WithRules(AllowTypes("com.example.*")))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		deadline, _ = ctx.Deadline()
		span = trace.SpanContextFromContext(ctx)
		return nil, nil
	}))
	if _, err := invoke(context.Background(), h, newEvent(handlertest.WithType("com.example.a"))); err != nil {
		t.Fatal(err)
	}
	if deadline.IsZero() || time.Until(deadline) > time.Minute {
		t.Fatalf("timeout not applied: %v", deadline)
	}
	s := rec.Ended()
	if len(s) != 1 || !s[0].SpanContext().Equal(span) {
		t.Fatalf("span %v, handler saw %v", s, span)
	}
	if l := lines(t, buf)[0]; l["trace_id"] != span.TraceID().String() {
		t.Fatalf("log line without the trace: %v", l)
	}
	// Validate runs inside the others: a rejected event is logged, traced
	// and counted.
	_, err := invoke(context.Background(), h, newEvent(handlertest.WithType("org.other")))
	if !errors.Is(err, ErrInvalidEnvelope) {
		t.Fatalf("err %v", err)
	}
	if got := sums(t, collect(t, r)["faas.invocations"], "error.type"); got["none"] != 1 || got["invalid_input"] != 1 {
		t.Fatalf("metrics %v", got)
	}
	if l := lines(t, buf)[1]; l["error_class"] != "invalid_input" {
		t.Fatalf("%v", l)
	}
	if len(rec.Ended()) != 2 {
		t.Fatal("rejected event not traced")
	}
}

func TestDefaultStackWithoutRules(t *testing.T) {
	lg, _ := jsonLogger(slog.LevelInfo)
	h := DefaultStack(WithLogger(lg))(handler.Func(ok))
	if _, err := invoke(context.Background(), h, newEvent(handlertest.WithType("any.type"))); err != nil {
		t.Fatal(err)
	}
}
