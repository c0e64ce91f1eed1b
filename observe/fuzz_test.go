package observe

import (
	"strings"
	"testing"
)

// FuzzParseList checks the key=value list parser of OTEL_RESOURCE_ATTRIBUTES
// and OTEL_EXPORTER_OTLP_HEADERS: no panic, errors name the variable, and
// accepted headers carry no line breaks.
func FuzzParseList(f *testing.F) {
	f.Add("a=1,b=2")
	f.Fuzz(func(t *testing.T, s string) {
		kvs, err := parseList("OTEL_RESOURCE_ATTRIBUTES", s)
		if err != nil {
			if !strings.Contains(err.Error(), "OTEL_RESOURCE_ATTRIBUTES") {
				t.Fatalf("error does not name the variable: %v", err)
			}
			return
		}
		for _, kv := range kvs {
			if kv[0] == "" {
				t.Fatalf("empty key from %q", s)
			}
		}
		h, err := parseHeaders("OTEL_EXPORTER_OTLP_HEADERS", s)
		if err != nil {
			return
		}
		for k, v := range h {
			if strings.ContainsAny(k+v, "\r\n") {
				t.Fatalf("header %q=%q accepted", k, v)
			}
		}
	})
}
