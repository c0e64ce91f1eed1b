package idempotency

import (
	"context"
	"fmt"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
)

func replyHandler() handler.Handler {
	reply := event.New()
	reply.SetID("r")
	reply.SetSource("/bench")
	reply.SetType("reply")
	reply.DataEncoded = []byte(`{"ok":true}`)
	return handler.Func(func(context.Context, event.Event) (*event.Event, error) { return &reply, nil })
}

// BenchmarkIdempotent measures what idempotency adds to an invocation:
// bare is the handler alone; new-key claims and completes a record;
// duplicate replays a stored reply; cached-duplicate replays from the
// in-process cache.
func BenchmarkIdempotent(b *testing.B) {
	benchIdempotent(b, func(*testing.B) state.Store { return memstore.New() })
}

// BenchmarkIdempotentRedis is the same over a real Redis on loopback.
func BenchmarkIdempotentRedis(b *testing.B) {
	benchIdempotent(b, func(b *testing.B) state.Store { return redisBenchStore(b) })
}

func benchIdempotent(b *testing.B, open func(*testing.B) state.Store) {
	ctx := context.Background()
	e := ev("dup", `{"n":1}`)
	b.Run("bare", func(b *testing.B) {
		h := replyHandler()
		b.ReportAllocs()
		for b.Loop() {
			h.Handle(ctx, e)
		}
	})
	b.Run("bare-new-id", func(b *testing.B) { // the id making new-key pays for too
		h := replyHandler()
		x := ev("b", `{"n":1}`)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			x.SetID(fmt.Sprintf("n%d", i))
			i++
			h.Handle(ctx, x)
		}
	})
	b.Run("new-key", func(b *testing.B) {
		h := New(open(b)).Wrap(replyHandler())
		events := make([]event.Event, 0, 1024)
		for i := range 1024 {
			events = append(events, ev(fmt.Sprintf("b%d", i), `{"n":1}`))
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			x := events[i%len(events)]
			x.SetID(fmt.Sprintf("n%d", i))
			i++
			if _, err := h.Handle(ctx, x); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		h := New(open(b)).Wrap(replyHandler())
		h.Handle(ctx, e)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Handle(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached-duplicate", func(b *testing.B) {
		h := New(open(b), WithCache(128)).Wrap(replyHandler())
		h.Handle(ctx, e)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Handle(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
