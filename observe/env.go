package observe

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ErrConfig is matched by the errors of FromEnv about a variable it cannot
// use; the message names the variable and the value's problem.
var ErrConfig = errors.New("observe: invalid configuration")

func configErr(name, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrConfig, name, fmt.Sprintf(format, args...))
}

// envConfig is what FromEnv reads from the OTEL_* variables.
type envConfig struct {
	disabled        bool
	serviceName     string
	resAttrs        []attribute.KeyValue
	tracesURL       string // "" for no trace export
	metricsURL      string // "" for no OTLP metric export
	emf             bool
	traceHeaders    map[string]string
	metricHeaders   map[string]string
	traceGzip       bool
	metricGzip      bool
	timeout         time.Duration
	sampler         sdktrace.Sampler
	samplerName     string
	metricInterval  time.Duration
	temporality     sdkmetric.TemporalitySelector
	propagatorNames []string
}

const defaultOTLPEndpoint = "http://localhost:4318"

func readEnv(get func(string) (string, bool)) (*envConfig, error) {
	val := func(name string) string {
		v, _ := get(name)
		return strings.TrimSpace(v)
	}
	c := &envConfig{timeout: 10 * time.Second, metricInterval: time.Minute, temporality: sdkmetric.DefaultTemporalitySelector}
	var errs []error
	if v := val("OTEL_SDK_DISABLED"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, configErr("OTEL_SDK_DISABLED", "%q is not true or false", v))
		}
		c.disabled = b
	}
	c.serviceName = val("OTEL_SERVICE_NAME")
	attrs, err := parseResourceAttributes(val("OTEL_RESOURCE_ATTRIBUTES"))
	if err != nil {
		errs = append(errs, err)
	}
	c.resAttrs = attrs

	// Exporters: an endpoint (general or per signal) turns OTLP on; the
	// *_EXPORTER variables can also name it, or turn it off.
	base := val("OTEL_EXPORTER_OTLP_ENDPOINT")
	signal := func(name, path, exporterVar string, extra ...string) (string, string, error) {
		exp := strings.ToLower(val(exporterVar))
		specific := val("OTEL_EXPORTER_OTLP_" + name + "_ENDPOINT")
		switch {
		case exp == "none":
			return "", exp, nil
		case exp != "" && exp != "otlp" && !contains(extra, exp):
			return "", exp, configErr(exporterVar, "exporter %q is not supported (use otlp or none%s)", exp, alsoList(extra))
		case contains(extra, exp):
			return "", exp, nil
		}
		var u string
		switch {
		case specific != "":
			u = specific
		case base != "":
			u = strings.TrimSuffix(base, "/") + path
		case exp == "otlp":
			u = defaultOTLPEndpoint + path
		default:
			return "", exp, nil
		}
		if err := checkURL(u); err != nil {
			v := "OTEL_EXPORTER_OTLP_ENDPOINT"
			if specific != "" {
				v = "OTEL_EXPORTER_OTLP_" + name + "_ENDPOINT"
			}
			return "", exp, configErr(v, "%v", err)
		}
		return u, exp, nil
	}
	if c.tracesURL, _, err = signal("TRACES", "/v1/traces", "OTEL_TRACES_EXPORTER"); err != nil {
		errs = append(errs, err)
	}
	var mexp string
	if c.metricsURL, mexp, err = signal("METRICS", "/v1/metrics", "OTEL_METRICS_EXPORTER", "emf"); err != nil {
		errs = append(errs, err)
	}
	c.emf = mexp == "emf"

	for _, name := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"} {
		if p := val(name); p != "" && p != "http/protobuf" {
			errs = append(errs, configErr(name, "protocol %q is not supported: fnkit exports http/protobuf only (no gRPC, to keep functions small)", p))
		}
	}
	general, err := parseHeaders("OTEL_EXPORTER_OTLP_HEADERS", val("OTEL_EXPORTER_OTLP_HEADERS"))
	errs = append(errs, err)
	th, err := parseHeaders("OTEL_EXPORTER_OTLP_TRACES_HEADERS", val("OTEL_EXPORTER_OTLP_TRACES_HEADERS"))
	errs = append(errs, err)
	mh, err := parseHeaders("OTEL_EXPORTER_OTLP_METRICS_HEADERS", val("OTEL_EXPORTER_OTLP_METRICS_HEADERS"))
	errs = append(errs, err)
	c.traceHeaders, c.metricHeaders = merge(general, th), merge(general, mh)

	gz := func(name string, def bool) bool {
		switch v := strings.ToLower(val(name)); v {
		case "":
			return def
		case "gzip":
			return true
		case "none":
			return false
		default:
			errs = append(errs, configErr(name, "compression %q is not gzip or none", v))
			return false
		}
	}
	all := gz("OTEL_EXPORTER_OTLP_COMPRESSION", false)
	c.traceGzip, c.metricGzip = gz("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", all), gz("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", all)

	ms := func(name string, def time.Duration) time.Duration {
		v := val(name)
		if v == "" {
			return def
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, configErr(name, "%q is not a positive number of milliseconds", v))
			return def
		}
		return time.Duration(n) * time.Millisecond
	}
	c.timeout = ms("OTEL_EXPORTER_OTLP_TIMEOUT", c.timeout)
	c.metricInterval = ms("OTEL_METRIC_EXPORT_INTERVAL", c.metricInterval)

	switch v := strings.ToLower(val("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE")); v {
	case "", "cumulative":
	case "delta":
		c.temporality = deltaTemporality
	default:
		errs = append(errs, configErr("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "%q is not cumulative or delta", v))
	}

	c.sampler, c.samplerName, err = parseSampler(val("OTEL_TRACES_SAMPLER"), val("OTEL_TRACES_SAMPLER_ARG"))
	errs = append(errs, err)

	c.propagatorNames = []string{"tracecontext", "baggage", "xray", "cloudtrace"}
	if v := val("OTEL_PROPAGATORS"); v != "" {
		c.propagatorNames = nil
		for _, p := range strings.Split(v, ",") {
			p = strings.ToLower(strings.TrimSpace(p))
			switch p {
			case "tracecontext", "baggage", "xray", "cloudtrace", "none":
				c.propagatorNames = append(c.propagatorNames, p)
			default:
				errs = append(errs, configErr("OTEL_PROPAGATORS", "propagator %q is not supported (tracecontext, baggage, xray, cloudtrace, none)", p))
			}
		}
	}
	return c, errors.Join(errs...)
}

func deltaTemporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	if k == sdkmetric.InstrumentKindUpDownCounter || k == sdkmetric.InstrumentKindObservableUpDownCounter {
		return metricdata.CumulativeTemporality
	}
	return metricdata.DeltaTemporality
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func alsoList(extra []string) string {
	if len(extra) == 0 {
		return ""
	}
	return ", " + strings.Join(extra, ", ")
}

func merge(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", s)
	}
	return nil
}

// parseList parses the W3C Baggage-like lists of OTEL_RESOURCE_ATTRIBUTES
// and OTEL_EXPORTER_OTLP_HEADERS: comma-separated key=value pairs whose
// values are percent-encoded. Blank entries are skipped.
func parseList(name, s string) ([][2]string, error) {
	var out [][2]string
	if s == "" {
		return nil, nil
	}
	if len(s) > 64<<10 {
		return nil, configErr(name, "value of %d bytes is too long", len(s))
	}
	for i, item := range strings.Split(s, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, configErr(name, "entry %d (%q) is not key=value", i+1, clip(item))
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, configErr(name, "entry %d (key %q): value is not percent-encoded: %v", i+1, clip(k), err)
		}
		out = append(out, [2]string{k, dv})
	}
	return out, nil
}

func parseResourceAttributes(s string) ([]attribute.KeyValue, error) {
	kvs, err := parseList("OTEL_RESOURCE_ATTRIBUTES", s)
	if err != nil {
		return nil, err
	}
	out := make([]attribute.KeyValue, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, attribute.String(kv[0], kv[1]))
	}
	return out, nil
}

func parseHeaders(name, s string) (map[string]string, error) {
	kvs, err := parseList(name, s)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		if !validHeaderName(kv[0]) {
			return nil, configErr(name, "%q is not a valid HTTP header name", clip(kv[0]))
		}
		if strings.ContainsAny(kv[1], "\r\n\x00") {
			return nil, configErr(name, "value of header %q has control characters", kv[0])
		}
		out[kv[0]] = kv[1]
	}
	return out, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func parseSampler(name, arg string) (sdktrace.Sampler, string, error) {
	ratio := 1.0
	if arg != "" && strings.HasSuffix(name, "traceidratio") {
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, "", configErr("OTEL_TRACES_SAMPLER_ARG", "%q is not a ratio in [0, 1]", arg)
		}
		ratio = r
	}
	switch strings.ToLower(name) {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), "parentbased_always_on", nil
	case "always_on":
		return sdktrace.AlwaysSample(), "always_on", nil
	case "always_off":
		return sdktrace.NeverSample(), "always_off", nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), "parentbased_always_off", nil
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio), "traceidratio", nil
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)), "parentbased_traceidratio", nil
	}
	return nil, "", configErr("OTEL_TRACES_SAMPLER", "sampler %q is not supported (always_on, always_off, traceidratio and their parentbased_ forms)", name)
}
