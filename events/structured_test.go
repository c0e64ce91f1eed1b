package events

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

// TestStructuredJSON: every kind of data survives the trip byte for byte,
// and JSON data stays JSON on the wire.
func TestStructuredJSON(t *testing.T) {
	for name, tt := range map[string]struct {
		ct, data, wire string
	}{
		"json":          {"application/json", `{"a":1}`, `"data":{"a":1}`},
		"json spaced":   {"application/json", ` {"a":1}`, `"data_base64"`},
		"invalid json":  {"application/json", `{"a":`, `"data_base64"`},
		"text":          {"text/plain", "héllo", `"data":"héllo"`},
		"binary":        {"application/octet-stream", "\xff\x00", `"data_base64"`},
		"no media type": {"", `[1,2]`, `"data":[1,2]`},
		"json in capitals (the SDK's reader folds no case)": {"AppliCAtion/json", `{}`, `"data_base64"`},
	} {
		t.Run(name, func(t *testing.T) {
			e := event.New()
			e.SetID("1")
			e.SetSource("/s")
			e.SetType("t")
			if tt.ct != "" {
				e.SetDataContentType(tt.ct)
			}
			e.DataEncoded = []byte(tt.data)
			b, err := StructuredJSON(&e)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tt.wire) {
				t.Fatalf("wire %s lacks %s", b, tt.wire)
			}
			var back event.Event
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back.Data(), []byte(tt.data)) || back.ID() != "1" {
				t.Fatalf("round trip: %q, want %q", back.Data(), tt.data)
			}
		})
	}
}
