package observe

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/middleware"
)

func attrs(kvs []*commonpb.KeyValue) map[string]any {
	out := map[string]any{}
	for _, kv := range kvs {
		switch v := kv.Value.Value.(type) {
		case *commonpb.AnyValue_StringValue:
			out[kv.Key] = v.StringValue
		case *commonpb.AnyValue_BoolValue:
			out[kv.Key] = v.BoolValue
		case *commonpb.AnyValue_IntValue:
			out[kv.Key] = v.IntValue
		case *commonpb.AnyValue_DoubleValue:
			out[kv.Key] = v.DoubleValue
		case *commonpb.AnyValue_ArrayValue:
			out[kv.Key] = len(v.ArrayValue.Values)
		}
	}
	return out
}

// TestOTLPEndToEnd runs a function through the default stack with
// FromEnv's exporters pointed at a loopback receiver, and checks what the
// receiver decoded.
func TestOTLPEndToEnd(t *testing.T) {
	for _, compression := range []string{"none", "gzip"} {
		t.Run(compression, func(t *testing.T) {
			rcv := newReceiver(t)
			tel, err := FromEnv(context.Background(), WithoutGlobals(), env(map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT":     rcv.url + "/",
				"OTEL_EXPORTER_OTLP_HEADERS":      "x-api-key=k%20ey,x-tenant=t1",
				"OTEL_EXPORTER_OTLP_COMPRESSION":  compression,
				"OTEL_SERVICE_NAME":               "orders",
				"OTEL_RESOURCE_ATTRIBUTES":        "deployment.environment=test,team=a%2Cb",
				"AWS_LAMBDA_FUNCTION_NAME":        "orders-fn",
				"AWS_LAMBDA_FUNCTION_VERSION":     "7",
				"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
				"AWS_REGION":                      "eu-west-1",
			}))
			if err != nil {
				t.Fatal(err)
			}
			if tr, me := tel.Exporting(); !tr || !me {
				t.Fatalf("exporting %v %v", tr, me)
			}
			lg := slog.New(slog.DiscardHandler)
			h := handler.Chain(tel.FlushMiddleware(), middleware.DefaultStack(append(tel.Options(), middleware.WithLogger(lg))...))(
				handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
					if e.Subject() == "bad" {
						return nil, errors.New("db down")
					}
					return nil, nil
				}))
			ctx := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformAWSLambda, RequestID: "req-9", ColdStart: true})
			parent := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
			if _, err := h.Handle(ctx, handlertest.NewEvent(handlertest.WithType("com.example.order"), handlertest.WithExtension("traceparent", parent))); err != nil {
				t.Fatal(err)
			}
			if _, err := h.Handle(ctx, handlertest.NewEvent(handlertest.WithSubject("bad"))); err == nil {
				t.Fatal("error lost")
			}
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}

			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			if len(rcv.errs) != 0 {
				t.Fatalf("receiver errors: %v", rcv.errs)
			}
			if len(rcv.traces) < 2 {
				t.Fatalf("%d trace requests: FlushMiddleware must export per invocation", len(rcv.traces))
			}
			for _, hd := range rcv.headers {
				if hd.Get("X-Api-Key") != "k ey" || hd.Get("X-Tenant") != "t1" {
					t.Fatalf("headers %v", hd)
				}
				if (hd.Get("Content-Encoding") == "gzip") != (compression == "gzip") {
					t.Fatalf("content encoding %q", hd.Get("Content-Encoding"))
				}
			}
			var spans []*tracepb.Span
			for _, req := range rcv.traces {
				for _, rs := range req.ResourceSpans {
					ra := attrs(rs.Resource.Attributes)
					want := map[string]any{"service.name": "orders", "faas.name": "orders-fn", "faas.version": "7", "cloud.region": "eu-west-1",
						"cloud.provider": "aws", "cloud.platform": "aws_lambda", "faas.max_memory": int64(512 << 20),
						"deployment.environment": "test", "team": "a,b", "telemetry.sdk.language": "go"}
					for k, v := range want {
						if ra[k] != v {
							t.Errorf("resource %s = %v, want %v", k, ra[k], v)
						}
					}
					for _, ss := range rs.ScopeSpans {
						if ss.Scope.Name != middleware.ScopeName {
							t.Errorf("scope %q", ss.Scope.Name)
						}
						spans = append(spans, ss.Spans...)
					}
				}
			}
			if len(spans) != 2 {
				t.Fatalf("%d spans", len(spans))
			}
			ok, bad := spans[0], spans[1]
			if ok.Name != "CloudEvents Process com.example.order" || ok.Kind != tracepb.Span_SPAN_KIND_CONSUMER {
				t.Fatalf("span %q kind %v", ok.Name, ok.Kind)
			}
			if got := strings.ToLower(hexs(ok.TraceId)); got != "4bf92f3577b34da6a3ce929d0e0e4736" || hexs(ok.ParentSpanId) != "00f067aa0ba902b7" {
				t.Fatalf("trace %s parent %s", got, hexs(ok.ParentSpanId))
			}
			if len(ok.SpanId) != 8 || ok.EndTimeUnixNano < ok.StartTimeUnixNano || ok.StartTimeUnixNano < uint64(time.Now().Add(-time.Minute).UnixNano()) {
				t.Fatalf("span id %x times %d..%d", ok.SpanId, ok.StartTimeUnixNano, ok.EndTimeUnixNano)
			}
			sa := attrs(ok.Attributes)
			if sa["faas.invocation_id"] != "req-9" || sa["faas.coldstart"] != true || sa["cloudevents.event_type"] != "com.example.order" {
				t.Fatalf("span attributes %v", sa)
			}
			if ok.Flags&0x100 == 0 || ok.Flags&0x200 == 0 || ok.Flags&0xff != 1 {
				t.Fatalf("flags %#x: want sampled with a remote parent", ok.Flags)
			}
			if bad.Status.Code != tracepb.Status_STATUS_CODE_ERROR || bad.Status.Message != "retryable" || len(bad.Events) != 1 ||
				bad.Events[0].Name != "exception" || len(bad.ParentSpanId) != 0 {
				t.Fatalf("failed span status %v events %v parent %x", bad.Status, bad.Events, bad.ParentSpanId)
			}

			// Metrics: the last export holds the cumulative totals.
			got := map[string]*metricpb.Metric{}
			for _, req := range rcv.metrics {
				for _, rm := range req.ResourceMetrics {
					if attrs(rm.Resource.Attributes)["service.name"] != "orders" {
						t.Fatal("metric resource")
					}
					for _, sm := range rm.ScopeMetrics {
						for _, m := range sm.Metrics {
							got[m.Name] = m
						}
					}
				}
			}
			inv := got["faas.invocations"].GetSum()
			if inv == nil || !inv.IsMonotonic || inv.AggregationTemporality != metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE {
				t.Fatalf("faas.invocations %v", got["faas.invocations"])
			}
			byType := map[string]int64{}
			for _, p := range inv.DataPoints {
				a := attrs(p.Attributes)
				if a["fnkit.platform"] != "aws-lambda" || a["faas.trigger"] != "pubsub" {
					t.Fatalf("point attributes %v", a)
				}
				byType[a["error.type"].(string)] += p.GetAsInt()
			}
			if byType["none"] != 1 || byType["retryable"] != 1 {
				t.Fatalf("invocations by error.type %v", byType)
			}
			cold := got["faas.coldstarts"].GetSum().DataPoints
			if len(cold) != 1 || cold[0].GetAsInt() != 2 {
				t.Fatalf("coldstarts %v", cold)
			}
			hist := got["faas.invoke_duration"].GetHistogram()
			var n uint64
			for _, p := range hist.DataPoints {
				n += p.Count
				var sum uint64
				for _, c := range p.BucketCounts {
					sum += c
				}
				if sum != p.Count || len(p.BucketCounts) != len(p.ExplicitBounds)+1 || p.GetMax() < p.GetMin() {
					t.Fatalf("histogram point %v", p)
				}
			}
			if n != 2 || got["faas.invoke_duration"].Unit != "s" {
				t.Fatalf("histogram count %d", n)
			}
			if _, ok := got["fnkit.invocations.active"]; !ok {
				t.Fatal("no active gauge")
			}
		})
	}
}

func hexs(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, len(b)*2)
	for _, x := range b {
		out = append(out, digits[x>>4], digits[x&15])
	}
	return string(out)
}

// TestEndpointDown keeps serving with a collector that is down, and logs
// the failure once, not per invocation; it logs the recovery too.
func TestEndpointDown(t *testing.T) {
	rcv := newReceiver(t)
	rcv.failing.Store(true)
	buf := &strings.Builder{}
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	logger := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		<-mu
		defer func() { mu <- struct{}{} }()
		return buf.Write(p)
	}), nil))
	tel, err := FromEnv(context.Background(), WithoutGlobals(), WithLogger(logger), env(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.url,
		"OTEL_EXPORTER_OTLP_TIMEOUT":  "500",
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tel.Shutdown(context.Background()) }()
	h := handler.Chain(tel.FlushMiddleware(), middleware.Tracing(tel.Options()...), middleware.Metrics(tel.Options()...))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))
	for range 10 {
		if _, err := h.Handle(context.Background(), handlertest.NewEvent()); err != nil {
			t.Fatalf("invocation failed with the collector down: %v", err)
		}
	}
	read := func() string { <-mu; defer func() { mu <- struct{}{} }(); return buf.String() }
	if n := strings.Count(read(), "telemetry export failed"); n != 1 {
		t.Fatalf("export failure logged %d times:\n%s", n, read())
	}
	rcv.failing.Store(false)
	if _, err := h.Handle(context.Background(), handlertest.NewEvent()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(read(), "telemetry export recovered") {
		t.Fatalf("recovery not logged:\n%s", read())
	}
}

// TestEndpointUnreachable points at a port nothing listens on.
func TestEndpointUnreachable(t *testing.T) {
	rcv := newReceiver(t)
	url := rcv.url
	tel, err := FromEnv(context.Background(), WithoutGlobals(), WithLogger(slog.New(slog.DiscardHandler)), env(map[string]string{
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": url + "/nothing-here",
		"OTEL_METRICS_EXPORTER":              "none",
	}))
	if err != nil {
		t.Fatal(err)
	}
	h := handler.Chain(tel.FlushMiddleware(), middleware.Tracing(tel.Options()...))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))
	start := time.Now()
	if _, err := h.Handle(context.Background(), handlertest.NewEvent()); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("invocation took %v with a failing exporter", el)
	}
	_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "direct")
	span.End()
	if err := tel.Flush(context.Background()); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("flush to a missing path: %v", err)
	}
	_ = tel.Shutdown(context.Background())
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestExportFailuresNotLoggedBySDK: without globals the SDK would hand each
// failed export to OpenTelemetry's default error handler, which logs it;
// observe's exporters report failures themselves, once.
func TestExportFailuresNotLoggedBySDK(t *testing.T) {
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "20") // read by the SDK's batch processor
	var std strings.Builder
	log.SetOutput(&syncWriter{w: &std})
	defer log.SetOutput(os.Stderr)
	rcv := newReceiver(t)
	rcv.failing.Store(true)
	var ours strings.Builder
	tel, err := FromEnv(context.Background(), WithoutGlobals(), WithLogger(slog.New(slog.NewTextHandler(&syncWriter{w: &ours}, nil))),
		env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.url, "OTEL_METRIC_EXPORT_INTERVAL": "20"}))
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		_, s := tel.TracerProvider().Tracer("x").Start(context.Background(), "s")
		s.End()
		time.Sleep(60 * time.Millisecond)
	}
	_ = tel.Shutdown(context.Background())
	if got := (&syncWriter{w: &std}).String(); got != "" {
		t.Fatalf("the SDK logged export failures:\n%s", got)
	}
	if n := strings.Count((&syncWriter{w: &ours}).String(), "telemetry export failed"); n != 1 {
		t.Fatalf("observe logged %d failures", n)
	}
}

var logMu sync.Mutex

// syncWriter serialises writes to w (and reads of it) across goroutines.
type syncWriter struct{ w *strings.Builder }

func (s *syncWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	logMu.Lock()
	defer logMu.Unlock()
	return s.w.String()
}
