package middleware

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// CloudTraceHeader is Google Cloud's trace header, set by Cloud Run, Cloud
// Functions and Google's load balancers, in lower case as OpenTelemetry
// carriers expect (http.Header carriers match it in any case).
const CloudTraceHeader = "x-cloud-trace-context"

// CloudTraceContext is a propagation.TextMapPropagator for Google Cloud's
// X-Cloud-Trace-Context header, "TRACE_ID/SPAN_ID;o=OPTIONS": a 32-digit
// hexadecimal trace id, a decimal span id and o=1 when sampled. A header
// that does not parse is ignored. Its zero value is ready to use and safe
// for concurrent use.
type CloudTraceContext struct{}

// Inject writes the span context of ctx, if valid, into carrier.
func (CloudTraceContext) Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return
	}
	tid, sid := sc.TraceID(), sc.SpanID()
	o := "0"
	if sc.IsSampled() {
		o = "1"
	}
	carrier.Set(CloudTraceHeader, hex.EncodeToString(tid[:])+"/"+strconv.FormatUint(binary.BigEndian.Uint64(sid[:]), 10)+";o="+o)
}

// Extract returns ctx with the remote span context read from carrier, or
// ctx unchanged if the header is absent or malformed.
func (CloudTraceContext) Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	sc, ok := parseCloudTrace(carrier.Get(CloudTraceHeader))
	if !ok {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}

// Fields returns the header the propagator uses.
func (CloudTraceContext) Fields() []string { return []string{CloudTraceHeader} }

// parseCloudTrace parses an X-Cloud-Trace-Context value.
func parseCloudTrace(h string) (trace.SpanContext, bool) {
	if h == "" || len(h) > 128 {
		return trace.SpanContext{}, false
	}
	tidHex, rest, ok := strings.Cut(h, "/")
	if !ok || len(tidHex) != 32 {
		return trace.SpanContext{}, false
	}
	var cfg trace.SpanContextConfig
	if _, err := hex.Decode(cfg.TraceID[:], []byte(tidHex)); err != nil {
		return trace.SpanContext{}, false
	}
	sidDec, opts, _ := strings.Cut(rest, ";")
	sid, err := strconv.ParseUint(sidDec, 10, 64)
	if err != nil {
		return trace.SpanContext{}, false
	}
	binary.BigEndian.PutUint64(cfg.SpanID[:], sid)
	if opts == "o=1" {
		cfg.TraceFlags = trace.FlagsSampled
	}
	cfg.Remote = true
	sc := trace.NewSpanContext(cfg)
	return sc, sc.IsValid()
}
