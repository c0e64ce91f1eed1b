package middleware

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnkit/fnkit/handler/handlertest"
)

func TestCloudTraceContext(t *testing.T) {
	cases := map[string]struct {
		in      string
		valid   bool
		span    string
		sampled bool
	}{
		"sampled":         {"105445aa7843bc8bf206b12000100000/1;o=1", true, "0000000000000001", true},
		"not sampled":     {"105445aa7843bc8bf206b12000100000/255;o=0", true, "00000000000000ff", false},
		"no options":      {"105445aa7843bc8bf206b12000100000/18446744073709551615", true, "ffffffffffffffff", false},
		"zero span":       {"105445aa7843bc8bf206b12000100000/0;o=1", false, "", false},
		"zero trace":      {"00000000000000000000000000000000/1;o=1", false, "", false},
		"short trace":     {"105445aa/1;o=1", false, "", false},
		"not hex":         {"zz5445aa7843bc8bf206b12000100000/1;o=1", false, "", false},
		"span overflow":   {"105445aa7843bc8bf206b12000100000/18446744073709551616;o=1", false, "", false},
		"negative span":   {"105445aa7843bc8bf206b12000100000/-1;o=1", false, "", false},
		"no slash":        {"105445aa7843bc8bf206b12000100000", false, "", false},
		"empty":           {"", false, "", false},
		"newline in span": {"105445aa7843bc8bf206b12000100000/1\n;o=1", false, "", false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := CloudTraceContext{}.Extract(context.Background(), propagation.MapCarrier{"x-cloud-trace-context": c.in})
			sc := trace.SpanContextFromContext(ctx)
			if sc.IsValid() != c.valid {
				t.Fatalf("valid %v, want %v", sc.IsValid(), c.valid)
			}
			if c.valid && (sc.SpanID().String() != c.span || sc.IsSampled() != c.sampled || !sc.IsRemote()) {
				t.Fatalf("span %v sampled %v", sc.SpanID(), sc.IsSampled())
			}
		})
	}
}

func TestCloudTraceRoundTrip(t *testing.T) {
	in := "105445aa7843bc8bf206b12000100000/123456789;o=1"
	ctx := CloudTraceContext{}.Extract(context.Background(), propagation.MapCarrier{"x-cloud-trace-context": in})
	out := propagation.MapCarrier{}
	CloudTraceContext{}.Inject(ctx, out)
	if got := out.Get(CloudTraceHeader); got != in {
		t.Fatalf("injected %q, want %q", got, in)
	}
	empty := propagation.MapCarrier{}
	CloudTraceContext{}.Inject(context.Background(), empty)
	if len(empty) != 0 || len(CloudTraceContext{}.Fields()) != 1 {
		t.Fatalf("inject without span: %v", empty)
	}
}

// FuzzCloudTrace checks that any header parses without panicking, and that
// a header that parses writes back to one that parses to the same span.
func FuzzCloudTrace(f *testing.F) {
	f.Add("105445aa7843bc8bf206b12000100000/1;o=1")
	f.Fuzz(func(t *testing.T, h string) {
		sc, ok := parseCloudTrace(h)
		if !ok {
			return
		}
		ctx := trace.ContextWithRemoteSpanContext(context.Background(), sc)
		out := propagation.MapCarrier{}
		CloudTraceContext{}.Inject(ctx, out)
		again, ok := parseCloudTrace(out.Get(CloudTraceHeader))
		if !ok || !again.Equal(sc) {
			t.Fatalf("%q: round trip %q gave %v, want %v", h, out.Get(CloudTraceHeader), again, sc)
		}
	})
}

// FuzzTracingParent feeds arbitrary traceparent and tracestate extensions
// to Tracing: it must never panic, and the handler's span must be valid.
func FuzzTracingParent(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "congo=t61rcWkgMzE")
	f.Fuzz(func(t *testing.T, tp, ts string) {
		_, prov := newRecorder()
		var inner trace.SpanContext
		h := Tracing(WithTracerProvider(prov))(handlerFunc(func(ctx context.Context) { inner = trace.SpanContextFromContext(ctx) }))
		e := newEvent(handlertest.WithExtension("traceparent", tp), handlertest.WithExtension("tracestate", ts))
		if _, err := invoke(context.Background(), h, e); err != nil {
			t.Fatal(err)
		}
		if !inner.IsValid() {
			t.Fatalf("handler span invalid for %q", tp)
		}
	})
}
