package events_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// addSamples seeds f with the real-shaped samples in testdata/gcp.
func addSamples(f *testing.F, prefix string) {
	files, err := filepath.Glob(filepath.Join("testdata", "gcp", prefix+"*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no samples %s*: %v", prefix, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzGCPBackground: the legacy-event conversion never panics; it either
// fails with a classified invalid-input error naming the legacy event, or
// returns a valid CloudEvent with JSON data.
func FuzzGCPBackground(f *testing.F) {
	addSamples(f, "legacy_")
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := events.FromBackground(body)
		if err != nil {
			if handler.ClassOf(err) != handler.ClassInvalidInput {
				t.Fatalf("error of class %v: %v", handler.ClassOf(err), err)
			}
			if !strings.HasPrefix(err.Error(), "handler: invalid input: events: ") {
				t.Fatalf("error does not name the events package: %v", err)
			}
			return
		}
		if verr := e.Validate(); verr != nil {
			t.Fatalf("converted event is invalid: %v", verr)
		}
		if e.DataContentType() != "application/json" || len(e.Data()) == 0 {
			t.Fatalf("converted event has data %q of type %q", e.Data(), e.DataContentType())
		}
		if !events.IsBackground(body) {
			t.Fatalf("FromBackground accepted what IsBackground rejects: %q", body)
		}
	})
}

// FuzzGCPPubSubPush: the push decoding never panics; it fails with an
// invalid-input error, or returns a valid messagePublished event whose id
// is the message id.
func FuzzGCPPubSubPush(f *testing.F) {
	addSamples(f, "pubsub_")
	f.Fuzz(func(t *testing.T, body []byte) {
		e, attempt, err := events.FromPubSubPush(body, "projects/p/topics/t")
		if err != nil {
			if handler.ClassOf(err) != handler.ClassInvalidInput {
				t.Fatalf("error of class %v: %v", handler.ClassOf(err), err)
			}
			return
		}
		if verr := e.Validate(); verr != nil {
			t.Fatalf("converted event is invalid: %v", verr)
		}
		if attempt < 0 || e.Type() != events.TypePubSubMessagePublished {
			t.Fatalf("attempt %d, type %q", attempt, e.Type())
		}
		p, err := events.ParsePubSubPush(body)
		if err != nil || p.Message.MessageID != e.ID() {
			t.Fatalf("ParsePubSubPush disagrees: %v", err)
		}
	})
}
