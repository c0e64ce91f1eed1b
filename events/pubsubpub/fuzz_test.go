package pubsubpub_test

import (
	"encoding/json"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/publishertest"
	"github.com/fnkit/fnkit/events/pubsubpub"
	"github.com/fnkit/fnkit/handler"
)

// FuzzFromMessage decodes arbitrary messages (attributes given as a JSON
// object): it must never panic, must refuse as invalid input, and what it
// accepts must encode and decode back to the same event.
func FuzzFromMessage(f *testing.F) {
	f.Add([]byte(`{"a":1}`), `{"ce-specversion":"1.0","ce-id":"1","ce-source":"/s","ce-type":"t","content-type":"application/json"}`)
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","data":"x"}`), `{"content-type":"application/cloudevents+json"}`)
	f.Fuzz(func(t *testing.T, data []byte, attrsJSON string) {
		var attrs map[string]string
		if json.Unmarshal([]byte(attrsJSON), &attrs) != nil {
			return
		}
		e, err := pubsubpub.FromMessage(data, attrs)
		if err != nil {
			if handler.ClassOf(err) != handler.ClassInvalidInput {
				t.Fatalf("error of class %v: %v", handler.ClassOf(err), err)
			}
			return
		}
		roundTrip(t, e)
	})
}

// FuzzAttributes encodes events with arbitrary attribute values and data:
// what Encode accepts must decode to the same event.
func FuzzAttributes(f *testing.F) {
	f.Add("id-1", "/orders", "com.example.t", "orders/1", "tenant", "acme", "application/json", []byte(`{"a":1}`))
	f.Add("id with space", "https://example.com/a%20b?x=é", "t", "", "note", `a "b" %20`, "text/plain", []byte("h\x00"))
	f.Fuzz(func(t *testing.T, id, source, typ, subject, extName, extValue, ct string, data []byte) {
		e := event.New()
		e.SetID(id)
		e.SetSource(source)
		e.SetType(typ)
		if subject != "" {
			e.SetSubject(subject)
		}
		if extName != "" && e.Context.SetExtension(extName, extValue) != nil {
			return
		}
		if len(data) > 0 {
			_ = e.SetData(ct, data)
		}
		if events.CheckEvent(&e) != nil {
			return
		}
		if _, err := pubsubpub.Encode(&e); err != nil {
			if handler.ClassOf(err) != handler.ClassInvalidInput && handler.ClassOf(err) != handler.ClassPermanent {
				t.Fatalf("Encode: error of class %v: %v", handler.ClassOf(err), err)
			}
			return
		}
		roundTrip(t, e)
	})
}

func roundTrip(t *testing.T, e event.Event) {
	t.Helper()
	m, err := pubsubpub.Encode(&e)
	if err != nil {
		return // not representable (for example not UTF-8): refused, not lost
	}
	if len(m.Attributes) > pubsubpub.MaxAttributes {
		t.Fatalf("%d attributes", len(m.Attributes))
	}
	for k, v := range m.Attributes {
		if len(k) > pubsubpub.MaxAttributeKey || len(v) > pubsubpub.MaxAttributeValue {
			t.Fatalf("attribute %q of %d bytes exceeds Pub/Sub's limits", k, len(v))
		}
	}
	back, err := pubsubpub.FromMessage(m.Data, m.Attributes)
	if err != nil {
		t.Fatalf("FromMessage of an encoded event: %v (attributes %v)", err, m.Attributes)
	}
	if !publishertest.Equal(back, e) {
		t.Fatalf("round trip changed the event:\n got %v\nwant %v", back, e)
	}
}
