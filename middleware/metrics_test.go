package middleware

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/fnkit/fnkit/handler"
)

func newReader() (*sdkmetric.ManualReader, *sdkmetric.MeterProvider) {
	r := sdkmetric.NewManualReader()
	return r, sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
}

// collect returns the metrics of r by name.
func collect(t testing.TB, r *sdkmetric.ManualReader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// sums returns the int64 sum points of m keyed by the value of attribute key.
func sums(t testing.TB, m metricdata.Metrics, key string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			v, _ := p.Attributes.Value(attribute.Key(key))
			out[v.String()] += p.Value
		}
	default:
		t.Fatalf("%s is %T", m.Name, m.Data)
	}
	return out
}

func TestMetrics(t *testing.T) {
	r, mp := newReader()
	var active int64
	outcome := map[string]error{
		"ok": nil, "bad": handler.InvalidInputf("bad"), "down": errors.New("down"),
		"slow": context.DeadlineExceeded,
	}
	h := Metrics(WithMeterProvider(mp))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		if e.Subject() == "panic" {
			panic(7)
		}
		m := collect(t, r)["fnkit.invocations.active"]
		active = sums(t, m, "fnkit.platform")["http"]
		return nil, outcome[e.Subject()]
	}))
	cold := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformHTTP, ColdStart: true})
	warm := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformHTTP})
	lambda := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: "some-new-platform"})
	ev := func(s string) event.Event { e := newEvent(); e.SetSubject(s); return e }
	_, _ = h.Handle(cold, ev("ok"))
	if active != 1 {
		t.Fatalf("active during invocation %d", active)
	}
	_, _ = h.Handle(warm, ev("ok"))
	_, _ = h.Handle(warm, ev("bad"))
	_, _ = h.Handle(warm, ev("down"))
	_, _ = h.Handle(warm, ev("slow"))
	if _, err := h.Handle(lambda, ev("panic")); err == nil {
		t.Fatal("panic not returned as error")
	}
	m := collect(t, r)
	if got := sums(t, m["faas.invocations"], "error.type"); got["none"] != 2 || got["invalid_input"] != 1 || got["retryable"] != 2 || got["panic"] != 1 {
		t.Fatalf("invocations %v", got)
	}
	if got := sums(t, m["faas.errors"], "error.type"); got["none"] != 0 || got["invalid_input"] != 1 || got["retryable"] != 2 || got["panic"] != 1 {
		t.Fatalf("errors %v", got)
	}
	if got := sums(t, m["faas.invocations"], "fnkit.platform"); got["http"] != 5 || got["other"] != 1 {
		t.Fatalf("by platform %v (unknown platforms must be bounded to other)", got)
	}
	if got := sums(t, m["faas.coldstarts"], "faas.trigger"); got["http"] != 1 || len(got) != 1 {
		t.Fatalf("coldstarts %v", got)
	}
	if got := sums(t, m["faas.timeouts"], "faas.trigger"); got["http"] != 1 {
		t.Fatalf("timeouts %v", got)
	}
	if got := sums(t, m["fnkit.invocations.active"], "fnkit.platform"); got["http"] != 0 || got["other"] != 0 || len(got) != 2 {
		t.Fatalf("active after %v (only the platforms seen, http and other)", got)
	}
	hist := m["faas.invoke_duration"].Data.(metricdata.Histogram[float64])
	var n uint64
	for _, p := range hist.DataPoints {
		n += p.Count
		if mx, ok := p.Max.Value(); ok && (mx < 0 || mx > (10*time.Second).Seconds()) {
			t.Fatalf("duration max %v", mx)
		}
	}
	if n != 6 || m["faas.invoke_duration"].Unit != "s" {
		t.Fatalf("histogram count %d unit %q", n, m["faas.invoke_duration"].Unit)
	}
	// Bounded cardinality: attribute sets per metric stay within
	// platforms × error types whatever the events.
	for name, mm := range m {
		if s, ok := mm.Data.(metricdata.Sum[int64]); ok && len(s.DataPoints) > len(platforms)*len(errTypes) {
			t.Fatalf("%s has %d series", name, len(s.DataPoints))
		}
	}
}
