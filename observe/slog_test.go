package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"

	"go.opentelemetry.io/otel/trace"
)

func TestTraceHandler(t *testing.T) {
	var buf bytes.Buffer
	lg := slog.New(TraceHandler(slog.NewJSONHandler(&buf, nil))).With("svc", "a")
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	sampled := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	unsampled := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
	lg.InfoContext(sampled, "one")
	lg.InfoContext(unsampled, "two")
	lg.Info("three")
	var got []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if got[0]["trace_id"] != tid.String() || got[0]["span_id"] != sid.String() || got[0]["svc"] != "a" {
		t.Fatalf("%v", got[0])
	}
	if got[1]["trace_id"] != tid.String() || got[1]["span_id"] != nil {
		t.Fatalf("%v", got[1])
	}
	if got[2]["trace_id"] != nil {
		t.Fatalf("%v", got[2])
	}
}

// TestTraceHandlerConformance runs testing/slogtest against the wrapper.
func TestTraceHandlerConformance(t *testing.T) {
	var buf bytes.Buffer
	h := TraceHandler(slog.NewJSONHandler(&buf, nil))
	results := func() []map[string]any {
		var ms []map[string]any
		for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m)
		}
		return ms
	}
	if err := slogtest.TestHandler(h, results); err != nil {
		t.Fatal(err)
	}
}
