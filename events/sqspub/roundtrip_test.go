package sqspub_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/awslambda"
	"github.com/fnkit/fnkit/events/publishertest"
	"github.com/fnkit/fnkit/handler"
)

// TestRoundTripLambda publishes with sqspub, receives the messages from
// the queue, hands them to fnkit's Lambda adapter as the SQS event Lambda
// would invoke it with, and checks that the handler got the very same
// events.
func TestRoundTripLambda(t *testing.T) {
	for _, queue := range []string{"orders", "orders.fifo"} {
		t.Run(queue, func(t *testing.T) {
			_, p, c := setup(t, queue, 0)
			sent := roundTripEvents(t)
			if err := p.Publish(context.Background(), sent...); err != nil {
				t.Fatal(err)
			}
			c.received(t)
			type attrs struct {
				ApproximateReceiveCount string `json:"ApproximateReceiveCount"`
				SentTimestamp           string `json:"SentTimestamp"`
				MessageGroupID          string `json:"MessageGroupId,omitempty"`
			}
			type record struct {
				MessageID      string         `json:"messageId"`
				ReceiptHandle  string         `json:"receiptHandle"`
				Body           string         `json:"body"`
				Attributes     attrs          `json:"attributes"`
				MessageAttrs   map[string]any `json:"messageAttributes"`
				MD5OfBody      string         `json:"md5OfBody"`
				EventSource    string         `json:"eventSource"`
				EventSourceARN string         `json:"eventSourceARN"`
				AWSRegion      string         `json:"awsRegion"`
			}
			var recs []record
			for _, m := range c.raw {
				recs = append(recs, record{*m.MessageId, *m.ReceiptHandle, *m.Body,
					attrs{m.Attributes["ApproximateReceiveCount"], m.Attributes["SentTimestamp"], m.Attributes["MessageGroupId"]},
					map[string]any{}, *m.MD5OfBody, "aws:sqs", "arn:aws:sqs:us-east-1:000000000000:" + queue, "us-east-1"})
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
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := fn.Invoke(ctx, payload); err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			wantSameEvents(t, got, sent)
		})
	}
}

// roundTripEvents are events with every attribute, extensions, and JSON,
// text, binary and no data.
func roundTripEvents(t *testing.T) []event.Event {
	full := newEvent("rt-full")
	full.SetSubject("orders/42")
	full.SetTime(time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC))
	full.SetDataSchema("https://example.com/order.json")
	full.SetExtension("tenant", "acme")
	full.SetExtension("partitionkey", "customer-7")
	text := newEvent("rt-text")
	_ = text.SetData("text/plain; charset=utf-8", []byte("héllo\r\n\x00end"))
	bin := newEvent("rt-bin")
	_ = bin.SetData("application/octet-stream", []byte{0, 1, 0xfe, 0xff})
	none := event.New()
	none.SetID("rt-none")
	none.SetSource("/orders")
	none.SetType("com.example.ping")
	return []event.Event{full, text, bin, none}
}

// wantSameEvents checks got holds the sent events (in any order: the
// adapter may run records concurrently), each identical.
func wantSameEvents(t *testing.T, got, sent []event.Event) {
	t.Helper()
	if len(got) != len(sent) {
		t.Fatalf("handler got %d events, want %d", len(got), len(sent))
	}
	byID := map[string]event.Event{}
	for _, e := range got {
		byID[e.ID()] = e
	}
	for _, e := range sent {
		g, ok := byID[e.ID()]
		if !ok {
			t.Errorf("event %s never reached the handler", e.ID())
			continue
		}
		if !publishertest.Equal(g, e) {
			t.Errorf("event %s:\n got %v\nwant %v", e.ID(), g, e)
		}
	}
}
