package ordersaga

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

func TestBusRefusesInvalidEvents(t *testing.T) {
	b := NewBus()
	bad := event.New() // no id, source or type
	err := b.Publish(context.Background(), handlertest.NewEvent(), bad)
	if handler.ClassOf(err) != handler.ClassInvalidInput || !strings.Contains(err.Error(), "event 1") {
		t.Fatalf("invalid event: %v", err)
	}
	var n atomic.Int32
	if err := b.Drain(context.Background(), handler.Func(func(context.Context, event.Event) (*event.Event, error) {
		n.Add(1)
		return nil, nil
	})); err != nil || n.Load() != 0 {
		t.Fatalf("a refused Publish queued %d events (%v)", n.Load(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Publish(ctx, handlertest.NewEvent()); !errors.Is(err, context.Canceled) {
		t.Fatalf("done context: %v", err)
	}
}

// TestBusServe: Serve delivers what is published while it runs, retries a
// retryable failure, dead-letters a permanent one at once (logging it),
// and returns when its context ends.
func TestBusServe(t *testing.T) {
	b := NewBus(WithMaxAttempts(3))
	var mu sync.Mutex
	attempts := map[string]int{}
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		mu.Lock()
		attempts[e.ID()]++
		n := attempts[e.ID()]
		mu.Unlock()
		switch {
		case e.ID() == "flaky" && n < 2:
			return nil, errors.New("flaky")
		case e.ID() == "broken":
			return nil, handler.Permanent(errors.New("broken for good"))
		}
		return nil, nil
	})
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		b.Serve(ctx, h, slog.New(slog.NewJSONHandler(&logs, nil)))
		close(done)
	}()
	for _, id := range []string{"ok", "flaky", "broken"} {
		if err := b.Publish(ctx, handlertest.NewEvent(handlertest.WithID(id))); err != nil {
			t.Fatal(err)
		}
	}
	for start := time.Now(); !strings.Contains(logs.String(), "dead letter"); time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("no dead letter logged")
		}
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if attempts["ok"] != 1 || attempts["flaky"] != 2 || attempts["broken"] != 1 {
		t.Fatalf("attempts %v", attempts)
	}
	d := b.DeadLetters()
	if len(d) != 1 || d[0].Event.ID() != "broken" || handler.ClassOf(d[0].Err) != handler.ClassPermanent || !bytes.Contains([]byte(logs.String()), []byte(`"id":"broken"`)) {
		t.Fatalf("dead letters %v, log %s", d, logs.String())
	}
}

// syncBuffer is a bytes.Buffer safe to read while another goroutine writes
// it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
