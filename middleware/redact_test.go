package middleware

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"
)

// TestRedactingHandlerConformance runs testing/slogtest against the
// redacting wrapper, with and without secrets to rewrite.
func TestRedactingHandlerConformance(t *testing.T) {
	var buf bytes.Buffer
	h := RedactingHandler(slog.NewJSONHandler(&buf, nil), "extra")
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

func TestRedactingHandler(t *testing.T) {
	var buf bytes.Buffer
	lg := slog.New(RedactingHandler(slog.NewJSONHandler(&buf, nil), "Extra"))
	lg.WithGroup("g").With("token", "s3cr3t-1").Info("m", "extra", "s3cr3t-2", "keep", "visible", slog.Group("h", "Cookie", "s3cr3t-3"))
	out := buf.String()
	if strings.Contains(out, "s3cr3t") || !strings.Contains(out, "visible") {
		t.Fatalf("%s", out)
	}
}
