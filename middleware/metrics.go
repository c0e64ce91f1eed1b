package middleware

import (
	"context"
	"errors"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/fnkit/fnkit/handler"
)

// Metrics records OpenTelemetry metrics of every invocation, named after
// the FaaS semantic conventions:
//
//   - faas.invocations (counter): every invocation;
//   - faas.errors (counter): failed invocations, by error.type;
//   - faas.timeouts (counter): failures from an exceeded deadline;
//   - faas.coldstarts (counter): first invocations of the process;
//   - faas.invoke_duration (histogram, seconds): by error.type;
//   - fnkit.invocations.active (up-down counter): invocations in flight.
//
// Attributes are bounded: faas.trigger ("http" or "pubsub"),
// fnkit.platform (one of the handler.Platform names, else "other") and
// error.type (an error class name, "panic" or "none") — never event ids,
// types or sources. A panic in the handler is recovered into a
// *handler.PanicError, counted as error.type "panic" and returned. Reads
// WithMeterProvider; instruments are made once, here.
func Metrics(opts ...Option) handler.Middleware {
	cfg := newConfig(opts)
	m := newMetrics(cfg.meterProvider.Meter(ScopeName))
	return func(next handler.Handler) handler.Handler {
		return &metricsHandler{m: m, next: next}
	}
}

var platforms = []string{handler.PlatformHTTP, handler.PlatformAWSLambda, handler.PlatformCloudFunctions,
	handler.PlatformKnative, handler.PlatformTest, "other"}

// errTypes are the values of error.type, indexed by handler.Class, then
// "panic".
var errTypes = []string{"none", "retryable", "invalid_input", "permanent", "throttled", "panic"}

// metricSet holds option slices made once, so that recording passes them
// without allocating.
type metricSet struct {
	base []metric.AddOption   // platform only
	err  [][]metric.AddOption // and error.type
	rec  [][]metric.RecordOption
}

type metrics struct {
	invocations, errs, timeouts, coldstarts metric.Int64Counter
	duration                                metric.Float64Histogram
	active                                  metric.Int64UpDownCounter
	sets                                    []metricSet // by platform index
}

func newMetrics(m metric.Meter) *metrics {
	ms := &metrics{}
	must := func(err error) {
		if err != nil {
			panic("middleware: Metrics: " + err.Error())
		}
	}
	var err error
	ms.invocations, err = m.Int64Counter("faas.invocations", metric.WithDescription("Invocations."), metric.WithUnit("{invocation}"))
	must(err)
	ms.errs, err = m.Int64Counter("faas.errors", metric.WithDescription("Failed invocations."), metric.WithUnit("{error}"))
	must(err)
	ms.timeouts, err = m.Int64Counter("faas.timeouts", metric.WithDescription("Invocations failed by an exceeded deadline."), metric.WithUnit("{timeout}"))
	must(err)
	ms.coldstarts, err = m.Int64Counter("faas.coldstarts", metric.WithDescription("First invocations of a process."), metric.WithUnit("{coldstart}"))
	must(err)
	ms.duration, err = m.Float64Histogram("faas.invoke_duration", metric.WithDescription("Duration of invocations."), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900))
	must(err)
	ms.active, err = m.Int64UpDownCounter("fnkit.invocations.active", metric.WithDescription("Invocations in flight."), metric.WithUnit("{invocation}"))
	must(err)
	for _, p := range platforms {
		base := []attribute.KeyValue{attribute.String("faas.trigger", trigger(p)), attribute.String("fnkit.platform", p)}
		set := metricSet{base: []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(base...))}}
		for _, et := range errTypes {
			o := metric.WithAttributeSet(attribute.NewSet(append(base[:2:2], attribute.String("error.type", et))...))
			set.err = append(set.err, []metric.AddOption{o})
			set.rec = append(set.rec, []metric.RecordOption{o})
		}
		ms.sets = append(ms.sets, set)
	}
	return ms
}

func platformIndex(p string) int {
	for i, x := range platforms[:len(platforms)-1] {
		if x == p {
			return i
		}
	}
	return len(platforms) - 1
}

type metricsHandler struct {
	m    *metrics
	next handler.Handler
}

func (h *metricsHandler) Handle(ctx context.Context, e event.Event) (reply *event.Event, err error) {
	m := h.m
	inv, _ := handler.InvocationFrom(ctx)
	set := &m.sets[platformIndex(inv.Platform)]
	start := time.Now()
	m.active.Add(ctx, 1, set.base...)
	if inv.ColdStart {
		m.coldstarts.Add(ctx, 1, set.base...)
	}
	defer func() {
		if v := recover(); v != nil {
			reply, err = nil, newPanicError(v)
		}
		et := int(handler.ClassOf(err))
		var p *handler.PanicError
		if err != nil && errors.As(err, &p) {
			et = len(errTypes) - 1
		}
		if et < 0 || et >= len(errTypes) {
			et = int(handler.ClassRetryable)
		}
		m.active.Add(ctx, -1, set.base...)
		m.invocations.Add(ctx, 1, set.err[et]...)
		if err != nil {
			m.errs.Add(ctx, 1, set.err[et]...)
			if handler.IsDeadline(err) {
				m.timeouts.Add(ctx, 1, set.base...)
			}
		}
		m.duration.Record(ctx, time.Since(start).Seconds(), set.rec[et]...)
	}()
	return h.next.Handle(ctx, e)
}
