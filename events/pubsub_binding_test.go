package events

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/fnkit/fnkit/handler"
)

func pushBody(t *testing.T, data string, attrs map[string]string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"message": map[string]any{"data": base64.StdEncoding.EncodeToString([]byte(data)), "messageId": "m-1",
			"publishTime": "2026-11-24T10:00:00Z", "attributes": attrs},
		"subscription": "projects/p/subscriptions/s", "deliveryAttempt": 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPushOfACloudEventIsThatEvent: a push delivery whose message is a
// CloudEvent (the Pub/Sub binding) reaches the handler as that event.
func TestPushOfACloudEventIsThatEvent(t *testing.T) {
	binary := pushBody(t, `{"n":1}`, map[string]string{"ce-specversion": "1.0", "ce-id": "e-9", "ce-source": "/orders",
		"ce-type": "com.example.placed", "ce-subject": "o-1", "ce-time": "2026-11-24T09:00:00Z", "ce-tenant": "acme", "content-type": "application/json"})
	e, attempt, err := FromPubSubPush(binary, "")
	if err != nil || attempt != 2 {
		t.Fatalf("binary: %v attempt %d", err, attempt)
	}
	if e.ID() != "e-9" || e.Source() != "/orders" || e.Type() != "com.example.placed" || e.Subject() != "o-1" ||
		string(e.Data()) != `{"n":1}` || e.Extensions()["tenant"] != "acme" || e.DataContentType() != "application/json" {
		t.Fatalf("binary: got %s", e)
	}
	structured := pushBody(t, `{"specversion":"1.0","id":"s-1","source":"/x","type":"t","data":{"a":1}}`,
		map[string]string{"content-type": "application/cloudevents+json"})
	if e, _, err := FromPubSubPush(structured, ""); err != nil || e.ID() != "s-1" || string(e.Data()) != `{"a":1}` {
		t.Fatalf("structured: %v %s", err, e)
	}
	plain := pushBody(t, `{"n":1}`, map[string]string{"origin": "app"})
	if e, _, err := FromPubSubPush(plain, ""); err != nil || e.Type() != TypePubSubMessagePublished {
		t.Fatalf("plain message: %v %s", err, e)
	}
	broken := pushBody(t, `{}`, map[string]string{"ce-specversion": "1.0", "ce-type": "t"})
	if _, _, err := FromPubSubPush(broken, ""); err == nil || handler.ClassOf(err) != handler.ClassInvalidInput {
		t.Fatalf("a CloudEvent without id and source: %v", err)
	}
	if _, _, err := FromPubSubPush(pushBody(t, `{}`, map[string]string{"ce-specversion": "0.1", "ce-id": "1", "ce-source": "/s", "ce-type": "t"}), ""); !errors.Is(err, handler.ErrInvalidInput) {
		t.Fatalf("unknown specversion: %v", err)
	}
}
