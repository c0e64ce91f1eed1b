package observe

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The OTLP exporters of this file speak OTLP/HTTP with protobuf bodies
// (http/protobuf), encoded directly (see wire.go). OpenTelemetry's own
// otlptracehttp and otlpmetrichttp exporters link gRPC and grpc-gateway
// through the generated collector packages (about 7 MiB of binary); the
// messages they send are small enough to write by hand, and the tests
// decode every request with the generated types to prove the encoding.

// endpoint is where one signal is sent.
type endpoint struct {
	url      string
	headers  map[string]string
	gzip     bool
	timeout  time.Duration
	client   *http.Client
	reporter *reporter
}

// post sends one export request body.
func (ep *endpoint) post(ctx context.Context, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, ep.timeout)
	defer cancel()
	var rd io.Reader = bytes.NewReader(body)
	if ep.gzip {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		_, _ = zw.Write(body)
		_ = zw.Close()
		rd = &zb
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, rd)
	if err != nil {
		return fmt.Errorf("observe: export to %s: %w", ep.url, err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if ep.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range ep.headers {
		req.Header.Set(k, v)
	}
	resp, err := ep.client.Do(req)
	if err != nil {
		return fmt.Errorf("observe: export to %s: %w", ep.url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("observe: export to %s: %s", ep.url, resp.Status)
	}
	return nil
}

// spanExporter is an sdktrace.SpanExporter over OTLP/HTTP.
type spanExporter struct{ ep *endpoint }

func (e *spanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	e.ep.reporter.result(e.ep.post(ctx, encodeTraces(spans)))
	return nil // reported (once) by observe: the SDK would log every failure
}

func (e *spanExporter) Shutdown(context.Context) error { return nil }

// metricExporter is an sdkmetric.Exporter over OTLP/HTTP.
type metricExporter struct {
	ep   *endpoint
	temp sdkmetric.TemporalitySelector
}

func (e *metricExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return e.temp(k)
}

func (e *metricExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (e *metricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	body, n := encodeMetrics(rm)
	if n == 0 {
		return nil
	}
	e.ep.reporter.result(e.ep.post(ctx, body))
	return nil // reported (once) by observe: the SDK would log every failure
}

func (e *metricExporter) ForceFlush(context.Context) error { return nil }
func (e *metricExporter) Shutdown(context.Context) error   { return nil }

// Protobuf encoding helpers.

func appendMsg(b []byte, num int, m []byte) []byte { return appendBytesField(b, num, m) }

func appendStr(b []byte, num int, s string) []byte {
	if s == "" {
		return b
	}
	return appendStringField(b, num, s)
}

func appendRaw(b []byte, num int, v []byte) []byte { return appendBytesField(b, num, v) }

func appendVarint(b []byte, num int, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = appendTag(b, num, varintType)
	return appendUvarint(b, v)
}

func appendFixed64(b []byte, num int, v uint64) []byte {
	b = appendTag(b, num, fixed64Type)
	return appendFixed64Raw(b, v)
}

func appendDouble(b []byte, num int, v float64) []byte {
	return appendFixed64(b, num, float64bits(v))
}

func unixNano(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano())
}

// AnyValue: string 1, bool 2, int 3, double 4, array 5 (values 1).
func encodeValue(v attribute.Value) []byte {
	var b []byte
	switch v.Type() {
	case attribute.STRING:
		b = appendStringField(b, 1, v.AsString())
	case attribute.BOOL:
		b = appendTag(b, 2, varintType)
		if v.AsBool() {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	case attribute.INT64:
		b = appendTag(b, 3, varintType)
		b = appendUvarint(b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		b = appendDouble(b, 4, v.AsFloat64())
	case attribute.STRINGSLICE:
		var arr []byte
		for _, s := range v.AsStringSlice() {
			arr = appendMsg(arr, 1, encodeValue(attribute.StringValue(s)))
		}
		b = appendMsg(b, 5, arr)
	case attribute.BOOLSLICE:
		var arr []byte
		for _, x := range v.AsBoolSlice() {
			arr = appendMsg(arr, 1, encodeValue(attribute.BoolValue(x)))
		}
		b = appendMsg(b, 5, arr)
	case attribute.INT64SLICE:
		var arr []byte
		for _, x := range v.AsInt64Slice() {
			arr = appendMsg(arr, 1, encodeValue(attribute.Int64Value(x)))
		}
		b = appendMsg(b, 5, arr)
	case attribute.FLOAT64SLICE:
		var arr []byte
		for _, x := range v.AsFloat64Slice() {
			arr = appendMsg(arr, 1, encodeValue(attribute.Float64Value(x)))
		}
		b = appendMsg(b, 5, arr)
	default:
		b = appendStringField(b, 1, v.String())
	}
	return b
}

// KeyValue: key 1, value 2.
func appendAttrs(b []byte, num int, kvs []attribute.KeyValue) []byte {
	for _, kv := range kvs {
		var m []byte
		m = appendStr(m, 1, string(kv.Key))
		m = appendMsg(m, 2, encodeValue(kv.Value))
		b = appendMsg(b, num, m)
	}
	return b
}

// Resource: attributes 1.
func encodeResource(r *resource.Resource) []byte {
	if r == nil {
		return nil
	}
	return appendAttrs(nil, 1, r.Attributes())
}

// InstrumentationScope: name 1, version 2, attributes 3.
func encodeScope(s instrumentation.Scope) []byte {
	var b []byte
	b = appendStr(b, 1, s.Name)
	b = appendStr(b, 2, s.Version)
	return appendAttrs(b, 3, s.Attributes.ToSlice())
}

// encodeTraces encodes an ExportTraceServiceRequest (resource_spans 1),
// grouping spans by resource and scope.
func encodeTraces(spans []sdktrace.ReadOnlySpan) []byte {
	type scoped struct {
		scope instrumentation.Scope
		spans [][]byte
	}
	type byRes struct {
		res    *resource.Resource
		scopes []*scoped
	}
	var groups []*byRes
	for _, s := range spans {
		var g *byRes
		for _, x := range groups {
			if x.res == s.Resource() {
				g = x
			}
		}
		if g == nil {
			g = &byRes{res: s.Resource()}
			groups = append(groups, g)
		}
		var sc *scoped
		for _, x := range g.scopes {
			if x.scope.Name == s.InstrumentationScope().Name && x.scope.Version == s.InstrumentationScope().Version {
				sc = x
			}
		}
		if sc == nil {
			sc = &scoped{scope: s.InstrumentationScope()}
			g.scopes = append(g.scopes, sc)
		}
		sc.spans = append(sc.spans, encodeSpan(s))
	}
	var req []byte
	for _, g := range groups {
		var rs []byte
		rs = appendMsg(rs, 1, encodeResource(g.res))
		for _, sc := range g.scopes {
			var ss []byte
			ss = appendMsg(ss, 1, encodeScope(sc.scope))
			for _, sp := range sc.spans {
				ss = appendMsg(ss, 2, sp)
			}
			ss = appendStr(ss, 3, sc.scope.SchemaURL)
			rs = appendMsg(rs, 2, ss)
		}
		if g.res != nil {
			rs = appendStr(rs, 3, g.res.SchemaURL())
		}
		req = appendMsg(req, 1, rs)
	}
	return req
}

// Span: trace_id 1, span_id 2, trace_state 3, parent_span_id 4, name 5,
// kind 6, start 7, end 8, attributes 9, dropped_attributes_count 10,
// events 11, dropped_events_count 12, links 13, dropped_links_count 14,
// status 15, flags 16.
func encodeSpan(s sdktrace.ReadOnlySpan) []byte {
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	var b []byte
	b = appendRaw(b, 1, tid[:])
	b = appendRaw(b, 2, sid[:])
	b = appendStr(b, 3, sc.TraceState().String())
	if p := s.Parent(); p.SpanID().IsValid() {
		psid := p.SpanID()
		b = appendRaw(b, 4, psid[:])
	}
	b = appendStr(b, 5, s.Name())
	b = appendVarint(b, 6, uint64(s.SpanKind()))
	b = appendFixed64(b, 7, unixNano(s.StartTime()))
	b = appendFixed64(b, 8, unixNano(s.EndTime()))
	b = appendAttrs(b, 9, s.Attributes())
	b = appendVarint(b, 10, uint64(s.DroppedAttributes()))
	for _, ev := range s.Events() {
		var m []byte
		m = appendFixed64(m, 1, unixNano(ev.Time))
		m = appendStr(m, 2, ev.Name)
		m = appendAttrs(m, 3, ev.Attributes)
		m = appendVarint(m, 4, uint64(ev.DroppedAttributeCount))
		b = appendMsg(b, 11, m)
	}
	b = appendVarint(b, 12, uint64(s.DroppedEvents()))
	for _, l := range s.Links() {
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		var m []byte
		m = appendRaw(m, 1, ltid[:])
		m = appendRaw(m, 2, lsid[:])
		m = appendStr(m, 3, l.SpanContext.TraceState().String())
		m = appendAttrs(m, 4, l.Attributes)
		m = appendVarint(m, 5, uint64(l.DroppedAttributeCount))
		b = appendMsg(b, 13, m)
	}
	b = appendVarint(b, 14, uint64(s.DroppedLinks()))
	var st []byte
	status := s.Status()
	code := uint64(0)
	switch status.Code {
	case codes.Ok:
		code = 1
	case codes.Error:
		code = 2
		st = appendStr(st, 2, status.Description)
	}
	st = appendVarint(st, 3, code)
	b = appendMsg(b, 15, st)
	flags := uint32(sc.TraceFlags()) | 0x100 // SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK
	if s.Parent().IsRemote() {
		flags |= 0x200
	}
	return appendFixed32Field(b, 16, flags)
}

// encodeMetrics encodes an ExportMetricsServiceRequest (resource_metrics
// 1) and returns the number of metrics in it.
func encodeMetrics(rm *metricdata.ResourceMetrics) ([]byte, int) {
	var rmb []byte
	rmb = appendMsg(rmb, 1, encodeResource(rm.Resource))
	n := 0
	for _, sm := range rm.ScopeMetrics {
		var smb []byte
		smb = appendMsg(smb, 1, encodeScope(sm.Scope))
		for _, m := range sm.Metrics {
			if mb, ok := encodeMetric(m); ok {
				smb = appendMsg(smb, 2, mb)
				n++
			}
		}
		smb = appendStr(smb, 3, sm.Scope.SchemaURL)
		rmb = appendMsg(rmb, 2, smb)
	}
	if rm.Resource != nil {
		rmb = appendStr(rmb, 3, rm.Resource.SchemaURL())
	}
	return appendMsg(nil, 1, rmb), n
}

// temporality maps to AggregationTemporality: delta 1, cumulative 2.
func temporality(t metricdata.Temporality) uint64 {
	if t == metricdata.DeltaTemporality {
		return 1
	}
	return 2
}

// Metric: name 1, description 2, unit 3, gauge 5, sum 7, histogram 9.
func encodeMetric(m metricdata.Metrics) ([]byte, bool) {
	var b []byte
	b = appendStr(b, 1, m.Name)
	b = appendStr(b, 2, m.Description)
	b = appendStr(b, 3, m.Unit)
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		b = appendMsg(b, 7, encodeSum(numberPoints(d.DataPoints), d.Temporality, d.IsMonotonic))
	case metricdata.Sum[float64]:
		b = appendMsg(b, 7, encodeSum(numberPoints(d.DataPoints), d.Temporality, d.IsMonotonic))
	case metricdata.Gauge[int64]:
		b = appendMsg(b, 5, encodePoints(numberPoints(d.DataPoints)))
	case metricdata.Gauge[float64]:
		b = appendMsg(b, 5, encodePoints(numberPoints(d.DataPoints)))
	case metricdata.Histogram[int64]:
		b = appendMsg(b, 9, encodeHistogram(d.DataPoints, d.Temporality))
	case metricdata.Histogram[float64]:
		b = appendMsg(b, 9, encodeHistogram(d.DataPoints, d.Temporality))
	default:
		return nil, false // exponential histograms and summaries: not produced by fnkit's setup
	}
	return b, true
}

func numberPoints[N int64 | float64](dps []metricdata.DataPoint[N]) [][]byte {
	out := make([][]byte, 0, len(dps))
	for _, p := range dps {
		var b []byte
		b = appendFixed64(b, 2, unixNano(p.StartTime))
		b = appendFixed64(b, 3, unixNano(p.Time))
		switch v := any(p.Value).(type) {
		case int64:
			b = appendFixed64(b, 6, uint64(v)) // as_int, sfixed64
		case float64:
			b = appendDouble(b, 4, v)
		}
		b = appendAttrs(b, 7, p.Attributes.ToSlice())
		out = append(out, b)
	}
	return out
}

// Gauge: data_points 1.
func encodePoints(points [][]byte) []byte {
	var b []byte
	for _, p := range points {
		b = appendMsg(b, 1, p)
	}
	return b
}

// Sum: data_points 1, aggregation_temporality 2, is_monotonic 3.
func encodeSum(points [][]byte, t metricdata.Temporality, mono bool) []byte {
	b := encodePoints(points)
	b = appendVarint(b, 2, temporality(t))
	if mono {
		b = appendVarint(b, 3, 1)
	}
	return b
}

// Histogram: data_points 1, aggregation_temporality 2. HistogramDataPoint:
// start 2, time 3, count 4, sum 5, bucket_counts 6, explicit_bounds 7,
// attributes 9, min 11, max 12.
func encodeHistogram[N int64 | float64](dps []metricdata.HistogramDataPoint[N], t metricdata.Temporality) []byte {
	var b []byte
	for _, p := range dps {
		var m []byte
		m = appendFixed64(m, 2, unixNano(p.StartTime))
		m = appendFixed64(m, 3, unixNano(p.Time))
		m = appendFixed64(m, 4, p.Count)
		m = appendDouble(m, 5, float64(p.Sum))
		var counts, bounds []byte
		for _, c := range p.BucketCounts {
			counts = appendFixed64Raw(counts, c)
		}
		for _, x := range p.Bounds {
			bounds = appendFixed64Raw(bounds, float64bits(x))
		}
		m = appendRaw(m, 6, counts)
		m = appendRaw(m, 7, bounds)
		m = appendAttrs(m, 9, p.Attributes.ToSlice())
		if v, ok := p.Min.Value(); ok {
			m = appendDouble(m, 11, float64(v))
		}
		if v, ok := p.Max.Value(); ok {
			m = appendDouble(m, 12, float64(v))
		}
		b = appendMsg(b, 1, m)
	}
	return appendVarint(b, 2, temporality(t))
}
