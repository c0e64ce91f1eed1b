package observe

import (
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestEncodeSpanFields encodes a span with every field set and decodes it
// with the generated OTLP types.
func TestEncodeSpanFields(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("0102030405060708090a0b0c0d0e0f10")
	sid, _ := trace.SpanIDFromHex("1112131415161718")
	pid, _ := trace.SpanIDFromHex("2122232425262728")
	ts, _ := trace.ParseTraceState("vendor=v1")
	start := time.Unix(1700000000, 123)
	res := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0", attribute.String("service.name", "s"))
	stub := tracetest.SpanStub{
		Name:        "op",
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts}),
		Parent:      trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: pid, Remote: true}),
		SpanKind:    trace.SpanKindProducer,
		StartTime:   start,
		EndTime:     start.Add(time.Millisecond),
		Attributes: []attribute.KeyValue{attribute.String("s", "x"), attribute.Int64("i", -7), attribute.Float64("f", 1.5), attribute.Bool("b", true),
			attribute.StringSlice("ss", []string{"a", "b"}), attribute.Int64Slice("is", []int64{1, 2, 3}), attribute.Float64Slice("fs", []float64{0.5}),
			attribute.BoolSlice("bs", []bool{false, true})},
		Events:               []sdktrace.Event{{Name: "ev", Time: start.Add(time.Microsecond), Attributes: []attribute.KeyValue{attribute.Int("n", 1)}}},
		Links:                []sdktrace.Link{{SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: pid}), Attributes: []attribute.KeyValue{attribute.String("l", "1")}}},
		Status:               sdktrace.Status{Code: codes.Error, Description: "broken"},
		DroppedAttributes:    2,
		DroppedEvents:        3,
		DroppedLinks:         4,
		Resource:             res,
		InstrumentationScope: instrumentation.Scope{Name: "scope", Version: "1.0"},
	}
	req := &coltracepb.ExportTraceServiceRequest{}
	if err := proto.Unmarshal(encodeTraces([]sdktrace.ReadOnlySpan{stub.Snapshot(), stub.Snapshot()}), req); err != nil {
		t.Fatal(err)
	}
	if len(req.ResourceSpans) != 1 || len(req.ResourceSpans[0].ScopeSpans) != 1 || len(req.ResourceSpans[0].ScopeSpans[0].Spans) != 2 {
		t.Fatalf("grouping: %v", req)
	}
	rs := req.ResourceSpans[0]
	if rs.SchemaUrl != "https://opentelemetry.io/schemas/1.26.0" || attrs(rs.Resource.Attributes)["service.name"] != "s" {
		t.Fatalf("resource %v %q", rs.Resource, rs.SchemaUrl)
	}
	if sc := rs.ScopeSpans[0].Scope; sc.Name != "scope" || sc.Version != "1.0" {
		t.Fatalf("scope %v", sc)
	}
	s := rs.ScopeSpans[0].Spans[0]
	if hexs(s.TraceId) != tid.String() || hexs(s.SpanId) != sid.String() || hexs(s.ParentSpanId) != pid.String() || s.TraceState != "vendor=v1" {
		t.Fatalf("ids %x %x %x %q", s.TraceId, s.SpanId, s.ParentSpanId, s.TraceState)
	}
	if s.Name != "op" || s.Kind != tracepb.Span_SPAN_KIND_PRODUCER || s.StartTimeUnixNano != uint64(start.UnixNano()) ||
		s.EndTimeUnixNano != uint64(start.Add(time.Millisecond).UnixNano()) {
		t.Fatalf("span %v", s)
	}
	a := attrs(s.Attributes)
	if a["s"] != "x" || a["i"] != int64(-7) || a["f"] != 1.5 || a["b"] != true || a["ss"] != 2 || a["is"] != 3 || a["fs"] != 1 || a["bs"] != 2 {
		t.Fatalf("attributes %v", a)
	}
	if got := s.Attributes[7].Value.GetArrayValue().Values[1].GetBoolValue(); !got {
		t.Fatal("bool slice element")
	}
	if s.DroppedAttributesCount != 2 || s.DroppedEventsCount != 3 || s.DroppedLinksCount != 4 {
		t.Fatalf("dropped %d %d %d", s.DroppedAttributesCount, s.DroppedEventsCount, s.DroppedLinksCount)
	}
	if len(s.Events) != 1 || s.Events[0].Name != "ev" || attrs(s.Events[0].Attributes)["n"] != int64(1) || s.Events[0].TimeUnixNano != uint64(start.Add(time.Microsecond).UnixNano()) {
		t.Fatalf("events %v", s.Events)
	}
	if len(s.Links) != 1 || hexs(s.Links[0].SpanId) != pid.String() || attrs(s.Links[0].Attributes)["l"] != "1" {
		t.Fatalf("links %v", s.Links)
	}
	if s.Status.Code != tracepb.Status_STATUS_CODE_ERROR || s.Status.Message != "broken" {
		t.Fatalf("status %v", s.Status)
	}
	if s.Flags != 0x301 {
		t.Fatalf("flags %#x", s.Flags)
	}
}

func TestEncodeMetricKinds(t *testing.T) {
	now := time.Unix(1700000000, 0)
	set := attribute.NewSet(attribute.String("k", "v"))
	rm := &metricdata.ResourceMetrics{
		Resource: resource.NewWithAttributes("", attribute.String("service.name", "s")),
		ScopeMetrics: []metricdata.ScopeMetrics{{Scope: instrumentation.Scope{Name: "m"}, Metrics: []metricdata.Metrics{
			{Name: "isum", Unit: "{x}", Data: metricdata.Sum[int64]{Temporality: metricdata.DeltaTemporality, IsMonotonic: true,
				DataPoints: []metricdata.DataPoint[int64]{{Attributes: set, StartTime: now, Time: now.Add(time.Second), Value: -3}}}},
			{Name: "fsum", Data: metricdata.Sum[float64]{Temporality: metricdata.CumulativeTemporality,
				DataPoints: []metricdata.DataPoint[float64]{{Attributes: set, Time: now, Value: 2.5}}}},
			{Name: "gauge", Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{{Attributes: set, Time: now, Value: 9}}}},
			{Name: "hist", Unit: "s", Data: metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality,
				DataPoints: []metricdata.HistogramDataPoint[float64]{{Attributes: set, Time: now, Count: 3, Sum: 0.6, Bounds: []float64{0.1, 1},
					BucketCounts: []uint64{1, 2, 0}, Min: metricdata.NewExtrema(0.05), Max: metricdata.NewExtrema(0.5)}}}},
			{Name: "skipped", Data: metricdata.ExponentialHistogram[float64]{}},
		}}},
	}
	body, n := encodeMetrics(rm)
	if n != 4 {
		t.Fatalf("%d metrics encoded", n)
	}
	req := &colmetricpb.ExportMetricsServiceRequest{}
	if err := proto.Unmarshal(body, req); err != nil {
		t.Fatal(err)
	}
	ms := map[string]*metricpb.Metric{}
	for _, m := range req.ResourceMetrics[0].ScopeMetrics[0].Metrics {
		ms[m.Name] = m
	}
	is := ms["isum"].GetSum()
	if is.AggregationTemporality != metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA || !is.IsMonotonic ||
		is.DataPoints[0].GetAsInt() != -3 || attrs(is.DataPoints[0].Attributes)["k"] != "v" || ms["isum"].Unit != "{x}" ||
		is.DataPoints[0].StartTimeUnixNano != uint64(now.UnixNano()) {
		t.Fatalf("int sum %v", ms["isum"])
	}
	if fs := ms["fsum"].GetSum(); fs.IsMonotonic || fs.DataPoints[0].GetAsDouble() != 2.5 ||
		fs.AggregationTemporality != metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE {
		t.Fatalf("float sum %v", fs)
	}
	if g := ms["gauge"].GetGauge(); g == nil || g.DataPoints[0].GetAsInt() != 9 {
		t.Fatalf("gauge %v", ms["gauge"])
	}
	h := ms["hist"].GetHistogram().DataPoints[0]
	if h.Count != 3 || h.GetSum() != 0.6 || h.GetMin() != 0.05 || h.GetMax() != 0.5 || len(h.BucketCounts) != 3 || h.BucketCounts[1] != 2 ||
		len(h.ExplicitBounds) != 2 || h.ExplicitBounds[1] != 1 {
		t.Fatalf("histogram %v", h)
	}
	if _, n := encodeMetrics(&metricdata.ResourceMetrics{}); n != 0 {
		t.Fatal("empty export has metrics")
	}
}
