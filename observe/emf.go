package observe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// NewEMFExporter returns a metric exporter that writes CloudWatch Embedded
// Metric Format: one JSON line per set of attributes, holding every metric
// recorded with that set, in namespace ns, with the attributes (and
// service.name) as dimensions. CloudWatch Logs turns the lines that Lambda
// writes to stdout into metrics, with no collector. Counters and
// histograms are exported as deltas; histograms as values (bucket
// midpoints, the minimum and maximum at the edges) with counts. Use it
// with an sdkmetric.PeriodicReader, or through WithEMF. Writes to w are
// serialised, one Write per line.
func NewEMFExporter(w io.Writer, ns string) sdkmetric.Exporter {
	return newEMF(w, ns, nil)
}

func newEMF(w io.Writer, ns string, rep *reporter) *emfExporter {
	return &emfExporter{w: w, ns: ns, rep: rep}
}

type emfExporter struct {
	mu  sync.Mutex
	w   io.Writer
	ns  string
	rep *reporter
}

func (e *emfExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return deltaTemporality(k)
}

func (e *emfExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (e *emfExporter) ForceFlush(context.Context) error { return nil }
func (e *emfExporter) Shutdown(context.Context) error   { return nil }

// emfLine is one EMF object under construction.
type emfLine struct {
	dims    []string
	props   map[string]any
	metrics []map[string]string
}

// maxEMFDimensions is CloudWatch's limit of dimensions per metric.
const maxEMFDimensions = 30

func (e *emfExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	service := ""
	if rm.Resource != nil {
		if v, ok := rm.Resource.Set().Value("service.name"); ok {
			service = v.AsString()
		}
	}
	lines := map[attribute.Distinct]*emfLine{}
	var order []attribute.Distinct
	line := func(set attribute.Set) *emfLine {
		k := set.Equivalent()
		if l, ok := lines[k]; ok {
			return l
		}
		l := &emfLine{props: map[string]any{}}
		if service != "" {
			l.dims = append(l.dims, "service.name")
			l.props["service.name"] = service
		}
		for _, kv := range set.ToSlice() {
			if len(l.dims) < maxEMFDimensions {
				l.dims = append(l.dims, string(kv.Key))
			}
			l.props[string(kv.Key)] = kv.Value.String()
		}
		lines[k] = l
		order = append(order, k)
		return l
	}
	add := func(set attribute.Set, name, unit string, v any) {
		l := line(set)
		if _, dup := l.props[name]; dup {
			return // a metric named like an attribute: keep the attribute
		}
		l.props[name] = v
		l.metrics = append(l.metrics, map[string]string{"Name": name, "Unit": unit})
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					add(p.Attributes, m.Name, cwUnit(m.Unit), p.Value)
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					add(p.Attributes, m.Name, cwUnit(m.Unit), finite(p.Value))
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					add(p.Attributes, m.Name, cwUnit(m.Unit), p.Value)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					add(p.Attributes, m.Name, cwUnit(m.Unit), finite(p.Value))
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					if p.Count > 0 {
						add(p.Attributes, m.Name, cwUnit(m.Unit), histValues(p))
					}
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					if p.Count > 0 {
						add(p.Attributes, m.Name, cwUnit(m.Unit), histValues(toFloat(p)))
					}
				}
			}
		}
	}
	var buf strings.Builder
	now := nowMillis()
	for _, k := range order {
		l := lines[k]
		if len(l.metrics) == 0 {
			continue
		}
		sort.Slice(l.metrics, func(i, j int) bool { return l.metrics[i]["Name"] < l.metrics[j]["Name"] })
		l.props["_aws"] = map[string]any{
			"Timestamp":         now,
			"CloudWatchMetrics": []any{map[string]any{"Namespace": e.ns, "Dimensions": [][]string{l.dims}, "Metrics": l.metrics}},
		}
		b, err := json.Marshal(l.props)
		if err != nil {
			err = fmt.Errorf("observe: EMF: %w", err)
			if e.rep != nil {
				e.rep.result(err)
				return nil
			}
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if buf.Len() == 0 {
		return nil
	}
	e.mu.Lock()
	_, err := io.WriteString(e.w, buf.String())
	e.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("observe: EMF: %w", err)
	}
	if e.rep != nil {
		e.rep.result(err)
		return nil // reported (once) by observe
	}
	return err
}

// cwUnit maps a UCUM unit to a CloudWatch unit.
func cwUnit(u string) string {
	switch u {
	case "s":
		return "Seconds"
	case "ms":
		return "Milliseconds"
	case "us":
		return "Microseconds"
	case "By":
		return "Bytes"
	case "%":
		return "Percent"
	case "1", "":
		return "Count"
	}
	if strings.HasPrefix(u, "{") {
		return "Count"
	}
	return "None"
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

type emfHist struct {
	Values []float64 `json:"Values"`
	Counts []uint64  `json:"Counts"`
}

// histValues turns explicit buckets into EMF values and counts.
func histValues(p metricdata.HistogramDataPoint[float64]) emfHist {
	var h emfHist
	lo, hasLo := p.Min.Value()
	hi, hasHi := p.Max.Value()
	for i, c := range p.BucketCounts {
		if c == 0 {
			continue
		}
		var v float64
		switch {
		case i == 0 && len(p.Bounds) > 0:
			v = p.Bounds[0] / 2
			if hasLo {
				v = (lo + p.Bounds[0]) / 2
			}
		case i >= len(p.Bounds):
			v = p.Bounds[len(p.Bounds)-1]
			if hasHi {
				v = hi
			}
		default:
			v = (p.Bounds[i-1] + p.Bounds[i]) / 2
		}
		if hasLo && v < lo {
			v = lo
		}
		if hasHi && v > hi {
			v = hi
		}
		h.Values = append(h.Values, finite(v))
		h.Counts = append(h.Counts, c)
	}
	return h
}

func toFloat(p metricdata.HistogramDataPoint[int64]) metricdata.HistogramDataPoint[float64] {
	out := metricdata.HistogramDataPoint[float64]{Attributes: p.Attributes, Count: p.Count, Bounds: p.Bounds, BucketCounts: p.BucketCounts, Sum: float64(p.Sum)}
	if v, ok := p.Min.Value(); ok {
		out.Min = metricdata.NewExtrema(float64(v))
	}
	if v, ok := p.Max.Value(); ok {
		out.Max = metricdata.NewExtrema(float64(v))
	}
	return out
}
