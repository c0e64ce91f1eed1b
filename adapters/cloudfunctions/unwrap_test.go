package cloudfunctions_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/cloudfunctions"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// TestPubSubCloudEventIsUnwrapped: a Pub/Sub message that is itself a
// CloudEvent (as events/pubsubpub publishes it) reaches the handler as that
// event, though the framework hands the adapter messagePublished.
func TestPubSubCloudEventIsUnwrapped(t *testing.T) {
	var got event.Event
	fn := cloudfunctions.CloudEventFunc(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		got = e
		return nil, nil
	}))
	data, _ := json.Marshal(map[string]any{"message": map[string]any{
		"data": base64.StdEncoding.EncodeToString([]byte(`{"n":1}`)), "messageId": "m-1",
		"attributes": map[string]string{"ce-specversion": "1.0", "ce-id": "e-1", "ce-source": "/orders", "ce-type": "com.example.placed", "content-type": "application/json"},
	}, "subscription": "projects/p/subscriptions/s"})
	outer := event.New()
	outer.SetID("m-1")
	outer.SetSource("//pubsub.googleapis.com/projects/p/topics/t")
	outer.SetType(events.TypePubSubMessagePublished)
	_ = outer.SetData(event.ApplicationJSON, json.RawMessage(data))
	if err := fn(context.Background(), outer); err != nil {
		t.Fatal(err)
	}
	if got.ID() != "e-1" || got.Type() != "com.example.placed" || string(got.Data()) != `{"n":1}` {
		t.Fatalf("the handler got %s", got)
	}
	// A plain message stays messagePublished.
	plain, _ := json.Marshal(map[string]any{"message": map[string]any{"data": "e30=", "messageId": "m-2"}, "subscription": "projects/p/subscriptions/s"})
	_ = outer.SetData(event.ApplicationJSON, json.RawMessage(plain))
	if err := fn(context.Background(), outer); err != nil || got.Type() != events.TypePubSubMessagePublished {
		t.Fatalf("plain: %v %s", err, got)
	}
}
