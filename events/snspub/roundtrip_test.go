package snspub_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/awslambda"
	"github.com/fnkit/fnkit/events/publishertest"
	"github.com/fnkit/fnkit/events/snspub"
	"github.com/fnkit/fnkit/handler"
)

// TestRoundTripLambda publishes through GoAWS, takes the notifications it
// delivered to the HTTP subscriber, hands them to fnkit's Lambda adapter as
// the SNS event Lambda would invoke it with, and checks the handler got
// the very same events.
func TestRoundTripLambda(t *testing.T) {
	arn, sub := topic(t, "roundtrip")
	url, _ := goaws()
	p, err := snspub.New(client(url, 1), arn, snspub.WithBatchSize(1))
	if err != nil {
		t.Fatal(err)
	}
	full := newEvent("rt-full")
	full.SetSubject("orders/42")
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
	var recs []map[string]any
	for _, n := range sub.take() {
		recs = append(recs, map[string]any{"EventSource": "aws:sns", "EventVersion": "1.0",
			"EventSubscriptionArn": arn + ":sub-1", "Sns": json.RawMessage(n)})
	}
	if len(recs) != len(sent) {
		t.Fatalf("%d notifications delivered, want %d", len(recs), len(sent))
	}
	payload, _ := json.Marshal(map[string]any{"Records": recs})
	var mu sync.Mutex
	var got []event.Event
	fn := awslambda.New(handler.Func(func(_ context.Context, e event.Event) (*event.Event, error) {
		mu.Lock()
		got = append(got, e.Clone())
		mu.Unlock()
		return nil, nil
	}))
	if _, err := fn.Invoke(context.Background(), payload); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if len(got) != len(sent) {
		t.Fatalf("handler got %d events", len(got))
	}
	byID := map[string]event.Event{}
	for _, e := range got {
		byID[e.ID()] = e
	}
	for _, e := range sent {
		if !publishertest.Equal(byID[e.ID()], e) {
			t.Errorf("event %s:\n got %v\nwant %v", e.ID(), byID[e.ID()], e)
		}
	}
}
