package httpserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// TestPubSubPushOptIn: with events.DecodePubSubPush, a Pub/Sub push
// delivery POSTed to the server reaches the handler as the
// messagePublished CloudEvent Eventarc would deliver, with its delivery
// attempt; other plain POSTs keep the plain mapping; a broken envelope is
// 400.
func TestPubSubPushOptIn(t *testing.T) {
	body, err := os.ReadFile("../../events/testdata/gcp/pubsub_push.json")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []event.Event
	var invs []handler.Invocation
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv, _ := handler.InvocationFrom(ctx)
		mu.Lock()
		got, invs = append(got, e), append(invs, inv)
		mu.Unlock()
		return nil, nil
	})
	srv := httptest.NewServer(httpserver.New(h, httpserver.WithPlainDecoder(events.DecodePubSubPush), httpserver.WithPlatform("gcp-cloud-run")))
	defer srv.Close()

	want, attempt, err := events.FromPubSubPush(body, "")
	if err != nil {
		t.Fatal(err)
	}
	if status, b := post(t, srv.URL+"/push", map[string]string{"Content-Type": "application/json"}, string(body)); status != http.StatusNoContent {
		t.Fatalf("push: %d %s", status, b)
	}
	if status, b := post(t, srv.URL+"/plain", map[string]string{"Content-Type": "application/json", "Idempotency-Key": "k"}, `{"a":1}`); status != http.StatusNoContent {
		t.Fatalf("plain: %d %s", status, b)
	}
	if status, b := post(t, srv.URL+"/push", map[string]string{"Content-Type": "application/json"},
		`{"message":{"data":"!!!","messageId":"1","publishTime":"2026-01-01T00:00:00Z"},"subscription":"projects/p/subscriptions/s"}`); status != http.StatusBadRequest {
		t.Fatalf("broken envelope: %d %s", status, b)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d events reached the handler", len(got))
	}
	if e := got[0]; e.Type() != events.TypePubSubMessagePublished || e.ID() != want.ID() || e.Source() != want.Source() || string(e.Data()) != string(want.Data()) {
		t.Fatalf("push event %s, want %s", e, want)
	}
	if invs[0].Attempt != attempt || attempt == 0 || invs[0].Platform != "gcp-cloud-run" {
		t.Fatalf("invocation %+v, want attempt %d", invs[0], attempt)
	}
	if e := got[1]; e.Type() != httpserver.DefaultPlainType || e.ID() != "k" {
		t.Fatalf("plain event %s", e)
	}
}
