package middleware

import (
	"context"
	"errors"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/idempotency"
	"github.com/fnkit/fnkit/state/memstore"
)

func TestIdempotencyMiddleware(t *testing.T) {
	runs := 0
	h := handler.Chain(Idempotency(memstore.New(), idempotency.WithScope("t")))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) {
			runs++
			r := e.Clone()
			r.SetID("reply")
			return &r, nil
		}))
	e := handlertest.NewEvent(handlertest.WithJSON(map[string]int{"a": 1}))
	for range 3 {
		res := handlertest.Invoke(context.Background(), h, e)
		if res.Err != nil || res.Reply.ID() != "reply" {
			t.Fatalf("%+v", res)
		}
	}
	if runs != 1 {
		t.Fatalf("runs %d", runs)
	}
	other := e.Clone()
	other.DataEncoded = []byte(`{"a":2}`)
	if res := handlertest.Invoke(context.Background(), h, other); !errors.Is(res.Err, idempotency.ErrPayloadMismatch) {
		t.Fatalf("mismatch: %v", res.Err)
	}
}
