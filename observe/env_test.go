package observe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/middleware"
)

func TestReadEnv(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, c *envConfig)
		wantErr string // the variable the error must name
	}{
		{"nothing set: no export", map[string]string{}, func(t *testing.T, c *envConfig) {
			if c.tracesURL != "" || c.metricsURL != "" || c.emf || c.samplerName != "parentbased_always_on" {
				t.Fatalf("%+v", c)
			}
		}, ""},
		{"base endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, func(t *testing.T, c *envConfig) {
			if c.tracesURL != "http://127.0.0.1:4318/v1/traces" || c.metricsURL != "http://127.0.0.1:4318/v1/metrics" {
				t.Fatalf("%s %s", c.tracesURL, c.metricsURL)
			}
		}, ""},
		{"signal endpoint as is", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://c.example/x", "OTEL_METRICS_EXPORTER": "none"},
			func(t *testing.T, c *envConfig) {
				if c.tracesURL != "https://c.example/x" || c.metricsURL != "" {
					t.Fatalf("%s %s", c.tracesURL, c.metricsURL)
				}
			}, ""},
		{"exporter named without endpoint", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, func(t *testing.T, c *envConfig) {
			if c.tracesURL != "http://localhost:4318/v1/traces" || c.metricsURL != "" {
				t.Fatalf("%s %s", c.tracesURL, c.metricsURL)
			}
		}, ""},
		{"emf", map[string]string{"OTEL_METRICS_EXPORTER": "emf"}, func(t *testing.T, c *envConfig) {
			if !c.emf || c.metricsURL != "" {
				t.Fatalf("%+v", c)
			}
		}, ""},
		{"sampler ratio", map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"},
			func(t *testing.T, c *envConfig) {
				if !strings.Contains(c.sampler.Description(), "0.25") {
					t.Fatal(c.sampler.Description())
				}
			}, ""},
		{"timeouts and delta", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "1500", "OTEL_METRIC_EXPORT_INTERVAL": "5000",
			"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta"}, func(t *testing.T, c *envConfig) {
			if c.timeout != 1500*time.Millisecond || c.metricInterval != 5*time.Second || c.temporality(sdkmetric.InstrumentKindCounter) != metricdata.DeltaTemporality || c.temporality(sdkmetric.InstrumentKindUpDownCounter) != metricdata.CumulativeTemporality {
				t.Fatalf("%v %v", c.timeout, c.metricInterval)
			}
		}, ""},
		{"headers merge", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=1,b=2", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "b=3"},
			func(t *testing.T, c *envConfig) {
				if c.traceHeaders["a"] != "1" || c.traceHeaders["b"] != "3" || c.metricHeaders["b"] != "2" {
					t.Fatalf("%v %v", c.traceHeaders, c.metricHeaders)
				}
			}, ""},
		{"grpc refused", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, nil, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{"bad url", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "127.0.0.1:4318"}, nil, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{"bad signal url", map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "ftp://x"}, nil, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"},
		{"unknown exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, nil, "OTEL_TRACES_EXPORTER"},
		{"bad sampler", map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"}, nil, "OTEL_TRACES_SAMPLER"},
		{"bad ratio", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"}, nil, "OTEL_TRACES_SAMPLER_ARG"},
		{"bad timeout", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "10s"}, nil, "OTEL_EXPORTER_OTLP_TIMEOUT"},
		{"bad compression", map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, nil, "OTEL_EXPORTER_OTLP_COMPRESSION"},
		{"bad header", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, nil, "OTEL_EXPORTER_OTLP_HEADERS"},
		{"header injection", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=x%0D%0AHost: evil"}, nil, "OTEL_EXPORTER_OTLP_HEADERS"},
		{"bad resource", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "a=%zz"}, nil, "OTEL_RESOURCE_ATTRIBUTES"},
		{"bad disabled", map[string]string{"OTEL_SDK_DISABLED": "maybe"}, nil, "OTEL_SDK_DISABLED"},
		{"bad propagator", map[string]string{"OTEL_PROPAGATORS": "tracecontext,b3"}, nil, "OTEL_PROPAGATORS"},
		{"bad temporality", map[string]string{"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "lowmemory"}, nil, "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := readEnv(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
			if c.wantErr != "" {
				if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, c.wantErr)
				}
				if _, ferr := FromEnv(context.Background(), WithoutGlobals(), env(c.env)); ferr == nil {
					t.Fatal("FromEnv accepted it")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, cfg)
		})
	}
}

// TestNoEndpointCostsNothing: without an endpoint the providers are
// no-ops, FlushMiddleware adds nothing, and traces still propagate.
func TestNoEndpointCostsNothing(t *testing.T) {
	tel, err := FromEnv(context.Background(), WithoutGlobals(), env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if tr, me := tel.Exporting(); tr || me {
		t.Fatal("exporting without an endpoint")
	}
	var inner trace.SpanContext
	base := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inner = trace.SpanContextFromContext(ctx)
		return nil, nil
	})
	h := handler.Chain(middleware.Tracing(tel.Options()...))(base)
	e := handlertest.NewEvent(handlertest.WithExtension("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
	if _, err := h.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if inner.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("trace not propagated: %v", inner)
	}
	allocs := testing.AllocsPerRun(200, func() { _, _ = h.Handle(context.Background(), handlertest.NewEvent()) })
	if allocs > 12 { // NewEvent's own allocations; the no-op tracer adds next to none
		t.Fatalf("%v allocations per invocation without an endpoint", allocs)
	}
	if err := tel.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDisabled(t *testing.T) {
	tel, err := FromEnv(context.Background(), WithoutGlobals(), env(map[string]string{
		"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}))
	if err != nil {
		t.Fatal(err)
	}
	if tr, me := tel.Exporting(); tr || me {
		t.Fatal("exporting while disabled")
	}
}

func TestPropagatorsFromEnv(t *testing.T) {
	tel, err := FromEnv(context.Background(), WithoutGlobals(), env(map[string]string{"OTEL_PROPAGATORS": "xray"}))
	if err != nil {
		t.Fatal(err)
	}
	if p := tel.Propagators(); len(p) != 1 || p[0].Fields()[0] != "X-Amzn-Trace-Id" {
		t.Fatalf("%v", p)
	}
	tel, _ = FromEnv(context.Background(), WithoutGlobals(), env(map[string]string{}))
	if len(tel.Propagators()) != 3 || len(tel.Propagator().Fields()) < 4 {
		t.Fatalf("default propagators %v fields %v", tel.Propagators(), tel.Propagator().Fields())
	}
}
