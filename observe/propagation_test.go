package observe

import (
	"context"
	"net/http"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/middleware"
)

// TestTracingParentFromHeaders: with observe's propagators, Tracing takes
// the parent from W3C, AWS X-Ray or Google headers, in that order.
func TestTracingParentFromHeaders(t *testing.T) {
	tel, err := FromEnv(context.Background(), WithoutGlobals(), env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		headers http.Header
		trace   string
	}{
		{"xray", http.Header{"X-Amzn-Trace-Id": {"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}},
			"5759e988bd862e3fe1be46a994272793"},
		{"w3c before xray", http.Header{
			"Traceparent":     {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
			"X-Amzn-Trace-Id": {"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}},
			"4bf92f3577b34da6a3ce929d0e0e4736"},
		{"google", http.Header{"X-Cloud-Trace-Context": {"105445aa7843bc8bf206b12000100000/1;o=1"}}, "105445aa7843bc8bf206b12000100000"},
		{"broken xray ignored", http.Header{"X-Amzn-Trace-Id": {"Root=garbage"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got trace.SpanContext
			h := middleware.Tracing(tel.Options()...)(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
				got = trace.SpanContextFromContext(ctx)
				return nil, nil
			}))
			ctx := middleware.ContextWithCarrier(context.Background(), propagation.HeaderCarrier(c.headers))
			if _, err := h.Handle(ctx, handlertest.NewEvent()); err != nil {
				t.Fatal(err)
			}
			if c.trace == "" {
				if got.IsValid() {
					t.Fatalf("parent from a broken header: %v", got)
				}
				return
			}
			if got.TraceID().String() != c.trace {
				t.Fatalf("trace %v, want %s", got.TraceID(), c.trace)
			}
		})
	}
}
