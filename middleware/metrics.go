package middleware

import (
	"context"
	"errors"
	"sync/atomic"
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
// WithMeterProvider; instruments are made once, here. The counters are
// observable: an invocation adds to atomics that the provider reads when
// it collects, so only the duration goes through the provider each time.
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
	base metric.MeasurementOption   // platform only
	err  []metric.MeasurementOption // and error.type
	rec  [][]metric.RecordOption
}

// newMetricSet builds the attribute sets of platform p: once per platform
// seen, as a process runs on one platform (42 sets up front cost a cold
// start 20 µs).
func newMetricSet(p string) *metricSet {
	base := []attribute.KeyValue{attribute.String("faas.trigger", trigger(p)), attribute.String("fnkit.platform", p)}
	set := &metricSet{base: metric.WithAttributeSet(attribute.NewSet(base...))}
	for _, et := range errTypes {
		o := metric.WithAttributeSet(attribute.NewSet(append(base[:2:2], attribute.String("error.type", et))...))
		set.err = append(set.err, o)
		set.rec = append(set.rec, []metric.RecordOption{o})
	}
	return set
}

type metrics struct {
	duration metric.Float64Histogram
	sets     []atomic.Pointer[metricSet] // by platform index, nil until the platform is seen

	invocations [][]atomic.Int64 // by platform, error type
	timeouts    []atomic.Int64   // by platform
	coldstarts  []atomic.Int64
	active      []atomic.Int64
}

// set returns the attribute sets of platform index p, building them on
// first use.
func (ms *metrics) set(p int) *metricSet {
	if s := ms.sets[p].Load(); s != nil {
		return s
	}
	ms.sets[p].CompareAndSwap(nil, newMetricSet(platforms[p]))
	return ms.sets[p].Load()
}

func newMetrics(m metric.Meter) *metrics {
	ms := &metrics{
		sets:       make([]atomic.Pointer[metricSet], len(platforms)),
		timeouts:   make([]atomic.Int64, len(platforms)),
		coldstarts: make([]atomic.Int64, len(platforms)),
		active:     make([]atomic.Int64, len(platforms)),
	}
	for range platforms {
		ms.invocations = append(ms.invocations, make([]atomic.Int64, len(errTypes)))
	}
	must := func(err error) {
		if err != nil {
			panic("middleware: Metrics: " + err.Error())
		}
	}
	perPlatform := func(vals []atomic.Int64) metric.Int64Callback {
		return func(_ context.Context, o metric.Int64Observer) error {
			for i := range vals {
				if set := ms.sets[i].Load(); set != nil {
					if v := vals[i].Load(); v != 0 {
						o.Observe(v, set.base)
					}
				}
			}
			return nil
		}
	}
	var err error
	_, err = m.Int64ObservableCounter("faas.invocations", metric.WithDescription("Invocations."), metric.WithUnit("{invocation}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			for p := range ms.invocations {
				set := ms.sets[p].Load()
				for c := range ms.invocations[p] {
					if v := ms.invocations[p][c].Load(); v != 0 && set != nil {
						o.Observe(v, set.err[c])
					}
				}
			}
			return nil
		}))
	must(err)
	_, err = m.Int64ObservableCounter("faas.errors", metric.WithDescription("Failed invocations."), metric.WithUnit("{error}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			for p := range ms.invocations {
				set := ms.sets[p].Load()
				for c := 1; c < len(errTypes); c++ {
					if v := ms.invocations[p][c].Load(); v != 0 && set != nil {
						o.Observe(v, set.err[c])
					}
				}
			}
			return nil
		}))
	must(err)
	_, err = m.Int64ObservableCounter("faas.timeouts", metric.WithDescription("Invocations failed by an exceeded deadline."),
		metric.WithUnit("{timeout}"), metric.WithInt64Callback(perPlatform(ms.timeouts)))
	must(err)
	_, err = m.Int64ObservableCounter("faas.coldstarts", metric.WithDescription("First invocations of a process."),
		metric.WithUnit("{coldstart}"), metric.WithInt64Callback(perPlatform(ms.coldstarts)))
	must(err)
	_, err = m.Int64ObservableUpDownCounter("fnkit.invocations.active", metric.WithDescription("Invocations in flight."),
		metric.WithUnit("{invocation}"), metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			for i := range ms.active {
				if set := ms.sets[i].Load(); set != nil {
					o.Observe(ms.active[i].Load(), set.base)
				}
			}
			return nil
		}))
	must(err)
	ms.duration, err = m.Float64Histogram("faas.invoke_duration", metric.WithDescription("Duration of invocations."), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900))
	must(err)
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
	p := platformIndex(inv.Platform)
	set := m.set(p) // before any counter moves, so the callbacks report it
	start := time.Now()
	m.active[p].Add(1)
	if inv.ColdStart {
		m.coldstarts[p].Add(1)
	}
	defer func() {
		if v := recover(); v != nil {
			reply, err = nil, newPanicError(v)
		}
		et := int(handler.ClassOf(err))
		var pe *handler.PanicError
		if err != nil && errors.As(err, &pe) {
			et = len(errTypes) - 1
		}
		if et < 0 || et >= len(errTypes) {
			et = int(handler.ClassRetryable)
		}
		m.active[p].Add(-1)
		m.invocations[p][et].Add(1)
		if err != nil && handler.IsDeadline(err) {
			m.timeouts[p].Add(1)
		}
		m.duration.Record(ctx, time.Since(start).Seconds(), set.rec[et]...)
	}()
	return h.next.Handle(ctx, e)
}
