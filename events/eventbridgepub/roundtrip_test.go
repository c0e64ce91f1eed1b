package eventbridgepub_test

import (
	"context"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/awslambda"
	"github.com/fnkit/fnkit/events/eventbridgepub"
	"github.com/fnkit/fnkit/events/publishertest"
	"github.com/fnkit/fnkit/handler"
)

// TestRoundTripLambda puts events on the bus, takes the EventBridge events
// the rule target receives, invokes fnkit's Lambda adapter with each, and
// checks the handler got the very same CloudEvent.
func TestRoundTripLambda(t *testing.T) {
	s := newServer(t)
	p, _ := eventbridgepub.New(client(s, 1), "")
	full := newEvent("rt-full")
	full.SetSubject("arn:aws:s3:::bucket/key")
	full.SetTime(time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC))
	full.SetDataSchema("https://example.com/order.json")
	full.SetExtension("tenant", "acme")
	text := newEvent("rt-text")
	_ = text.SetData("text/plain; charset=utf-8", []byte("héllo\r\n\x00end"))
	bin := newEvent("rt-bin")
	_ = bin.SetData("application/octet-stream", []byte{0, 1, 0xfe, 0xff})
	sent := []event.Event{full, text, bin}
	if err := p.Publish(context.Background(), sent...); err != nil {
		t.Fatal(err)
	}
	delivered := s.events()
	if len(delivered) != len(sent) {
		t.Fatalf("%d events delivered", len(delivered))
	}
	for i, payload := range delivered {
		var got event.Event
		fn := awslambda.New(handler.Func(func(_ context.Context, e event.Event) (*event.Event, error) {
			got = e.Clone()
			return nil, nil
		}))
		if _, err := fn.Invoke(context.Background(), payload); err != nil {
			t.Fatalf("Invoke with %s: %v", payload, err)
		}
		if !publishertest.Equal(got, sent[i]) {
			t.Errorf("event %d:\n got %v\nwant %v", i, got, sent[i])
		}
	}
}
