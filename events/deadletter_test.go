package events_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

func failing(err error) handler.Handler {
	return handler.Func(func(context.Context, event.Event) (*event.Event, error) { return nil, err })
}

func TestDeadLetterMiddleware(t *testing.T) {
	boom := errors.New("order 42 does not exist")
	cases := []struct {
		name      string
		err       error
		dead      bool
		wantClass handler.Class
	}{
		{"permanent is dead-lettered", handler.Permanent(boom), true, handler.ClassNone},
		{"invalid input is dead-lettered", handler.InvalidInput(boom), true, handler.ClassNone},
		{"retryable passes through", boom, false, handler.ClassRetryable},
		{"throttled passes through", handler.Throttled(boom, 0), false, handler.ClassThrottled},
		{"success passes through", nil, false, handler.ClassNone},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dlq := events.NewMemory()
			h := events.NewDeadLetter(dlq).Middleware()(failing(c.err))
			ctx := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformKnative, Attempt: 3})
			e := newEvent("e1", "com.example.t")
			_ = e.SetData("application/json", []byte(`{"order":42}`))
			_, err := h.Handle(ctx, e)
			if got := handler.ClassOf(err); got != c.wantClass {
				t.Fatalf("class %v (%v), want %v", got, err, c.wantClass)
			}
			if !c.dead {
				dlq.AssertNone(t)
				return
			}
			got := dlq.AssertPublished(t, "com.example.t")
			ext := got.Extensions()
			if got.ID() != "e1" || string(got.Data()) != `{"order":42}` {
				t.Fatalf("dead-lettered %s %q, want the event unchanged", got.ID(), got.Data())
			}
			if ext[events.ExtErrorClass] != handler.ClassOf(c.err).String() || !strings.Contains(ext[events.ExtError].(string), "order 42") ||
				ext[events.ExtAttempt] != "3" || ext[events.ExtPlatform] != handler.PlatformKnative {
				t.Fatalf("dead-letter extensions %v", ext)
			}
			if e.Extensions()[events.ExtError] != nil {
				t.Fatal("the original event was changed")
			}
		})
	}
}

func TestDeadLetterReturnsFailure(t *testing.T) {
	dlq := events.NewMemory()
	h := events.NewDeadLetter(dlq, events.WithFailureReturned()).Middleware()(failing(handler.Permanent(errors.New("no"))))
	_, err := h.Handle(context.Background(), newEvent("e", "t"))
	if handler.ClassOf(err) != handler.ClassPermanent || dlq.Len() != 1 {
		t.Fatalf("with WithFailureReturned: %v and %d dead letters, want the permanent error and 1", err, dlq.Len())
	}
}

func TestDeadLetterPublishFails(t *testing.T) {
	dlq := events.NewMemory()
	down := errors.New("dlq down")
	dlq.FailWith(func(event.Event) error { return down })
	cause := handler.Permanent(errors.New("refused"))
	h := events.NewDeadLetter(dlq).Middleware()(failing(cause))
	_, err := h.Handle(context.Background(), newEvent("e", "t"))
	if handler.ClassOf(err) != handler.ClassRetryable || !errors.Is(err, events.ErrDeadLetter) || !errors.Is(err, down) || !errors.Is(err, cause) {
		t.Fatalf("dead-letter publish failure: %v, want a retryable error matching ErrDeadLetter, the cause and the publish error", err)
	}
	if err := events.NewDeadLetter(dlq).Send(context.Background(), event.Event{}, cause); !errors.Is(err, events.ErrDeadLetter) {
		t.Fatalf("Send of an event without context: %v", err)
	}
}

func TestDeadLetterTruncatesError(t *testing.T) {
	dlq := events.NewMemory()
	long := errors.New(strings.Repeat("x", 5000))
	if err := events.NewDeadLetter(dlq).Send(context.Background(), newEvent("e", "t"), handler.Permanent(long)); err != nil {
		t.Fatal(err)
	}
	if n := len(dlq.Events()[0].Extensions()[events.ExtError].(string)); n != events.MaxDeadLetterErrorLen {
		t.Fatalf("error extension of %d bytes, want %d", n, events.MaxDeadLetterErrorLen)
	}
}
