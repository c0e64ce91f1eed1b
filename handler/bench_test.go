package handler

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

type benchIn struct {
	ID    string `json:"id"`
	Qty   int    `json:"qty"`
	Email string `json:"email"`
}

type benchInValidated struct {
	ID    string `json:"id" validate:"required"`
	Qty   int    `json:"qty" validate:"gte=1,lte=100"`
	Email string `json:"email" validate:"required,email"`
}

var benchData = []byte(`{"id":"o-1","qty":3,"email":"ada@example.com"}`)

func benchEvent() event.Event {
	e := event.New()
	e.SetID("1")
	e.SetSource("/bench")
	e.SetType("com.example.bench")
	e.SetDataContentType("application/json")
	e.DataEncoded = benchData
	return e
}

// BenchmarkTyped measures what a typed handler adds around the function:
// the bare case decodes and encodes by hand, the others go through Typed.
func BenchmarkTyped(b *testing.B) {
	ctx := context.Background()
	e := benchEvent()
	b.Run("bare-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in benchIn
			if err := json.Unmarshal(e.DataEncoded, &in); err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(receipt{OrderID: in.ID, Total: in.Qty}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("typed", func(b *testing.B) {
		h := Typed(func(ctx context.Context, in benchIn) (receipt, error) {
			return receipt{OrderID: in.ID, Total: in.Qty}, nil
		})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Handle(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("typed-validated", func(b *testing.B) {
		h := Typed(func(ctx context.Context, in benchInValidated) (receipt, error) {
			return receipt{OrderID: in.ID, Total: in.Qty}, nil
		})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Handle(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
