package events_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

func newEvent(id, typ string) event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("/test")
	e.SetType(typ)
	return e
}

// fakeTB records assertion failures instead of failing the test.
type fakeTB struct{ msg string }

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Fatalf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }

func TestMemoryAssertions(t *testing.T) {
	m := events.NewMemory()
	ctx := context.Background()
	var tb fakeTB
	m.AssertNone(&tb)
	if tb.msg != "" {
		t.Fatalf("AssertNone on an empty Memory failed: %s", tb.msg)
	}
	if err := m.Publish(ctx, newEvent("1", "a"), newEvent("2", "b"), newEvent("3", "a")); err != nil {
		t.Fatal(err)
	}
	m.AssertTypes(&tb, "a", "b", "a")
	if tb.msg != "" {
		t.Fatalf("AssertTypes(a, b, a) failed: %s", tb.msg)
	}
	got := m.AssertPublished(&tb, "b")
	if tb.msg != "" || got.ID() != "2" {
		t.Fatalf("AssertPublished(b) = %q, %q", got.ID(), tb.msg)
	}
	for name, assert := range map[string]func(){
		"AssertPublished of a type seen twice": func() { m.AssertPublished(&tb, "a") },
		"AssertPublished of an absent type":    func() { m.AssertPublished(&tb, "c") },
		"AssertTypes in the wrong order":       func() { m.AssertTypes(&tb, "a", "a", "b") },
		"AssertTypes with fewer types":         func() { m.AssertTypes(&tb, "a", "b") },
		"AssertNone after Publish":             func() { m.AssertNone(&tb) },
	} {
		tb.msg = ""
		assert()
		if tb.msg == "" {
			t.Errorf("%s did not fail", name)
		} else if !strings.Contains(tb.msg, "a 1") {
			t.Errorf("%s: message %q does not list what was published", name, tb.msg)
		}
	}
	if n := len(m.ByType("a")); n != 2 {
		t.Errorf("ByType(a) has %d events, want 2", n)
	}
	m.Reset()
	if m.Len() != 0 {
		t.Errorf("Len after Reset = %d", m.Len())
	}
}

func TestMemoryFailWith(t *testing.T) {
	m := events.NewMemory()
	down := errors.New("down")
	m.FailWith(func(e event.Event) error {
		if e.Type() == "bad" {
			return handler.Permanent(down)
		}
		return nil
	})
	err := m.Publish(context.Background(), newEvent("1", "ok"), newEvent("2", "bad"), newEvent("3", "ok"))
	if !errors.Is(err, down) || !errors.Is(err, events.ErrPublish) {
		t.Fatalf("Publish with an injected failure: %v, want it to match down and ErrPublish", err)
	}
	if got := events.FailedIndexes(err, 3); !reflect.DeepEqual(got, []int{1}) {
		t.Fatalf("FailedIndexes = %v, want [1]", got)
	}
	if c := handler.ClassOf(err); c != handler.ClassPermanent {
		t.Fatalf("class %v, want permanent", c)
	}
	if want := `events: publish failed: 1 of 3 events; event 1 (id "2"): handler: permanent failure: down`; err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
	m.AssertTypes(t, "ok", "ok")
	m.FailWith(nil)
	if err := m.Publish(context.Background(), newEvent("4", "bad")); err != nil {
		t.Fatalf("after FailWith(nil): %v", err)
	}
}

func TestPublishErrorClass(t *testing.T) {
	perm := handler.Permanent(errors.New("refused"))
	plain := errors.New("connection reset")
	thr := handler.Throttled(errors.New("slow down"), time.Second)
	cases := []struct {
		name     string
		failures []error
		want     handler.Class
	}{
		{"permanent only", []error{perm}, handler.ClassPermanent},
		{"plain error is retryable", []error{plain}, handler.ClassRetryable},
		{"retryable wins over permanent", []error{perm, plain}, handler.ClassRetryable},
		{"throttled wins over permanent", []error{perm, thr}, handler.ClassThrottled},
		{"first retryable wins", []error{thr, plain}, handler.ClassThrottled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var col events.Collector
			for i, err := range c.failures {
				col.Fail(i, nil, err)
			}
			err := fmt.Errorf("wrapped: %w", col.Err(len(c.failures)))
			if got := handler.ClassOf(err); got != c.want {
				t.Fatalf("ClassOf = %v, want %v", got, c.want)
			}
			for _, f := range c.failures {
				if !errors.Is(err, f) {
					t.Errorf("errors.Is(err, %v) = false", f)
				}
			}
		})
	}
	if got := events.FailedIndexes(errors.New("x"), 3); !reflect.DeepEqual(got, []int{0, 1, 2}) {
		t.Errorf("FailedIndexes of a plain error = %v, want all", got)
	}
	if got := events.FailedIndexes(nil, 3); got != nil {
		t.Errorf("FailedIndexes(nil) = %v", got)
	}
	var col events.Collector
	if col.Err(2) != nil {
		t.Error("empty Collector returned an error")
	}
}

func TestMemoryWait(t *testing.T) {
	m := events.NewMemory()
	go func() {
		for i := range 3 {
			time.Sleep(5 * time.Millisecond)
			_ = m.Publish(context.Background(), newEvent(fmt.Sprint(i), "t"))
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := m.Wait(ctx, 3)
	if err != nil || len(got) != 3 {
		t.Fatalf("Wait(3) = %d events, %v", len(got), err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := m.Wait(ctx, 4); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait(4) with 3 events: %v, want DeadlineExceeded", err)
	}
}

func TestPublisherFunc(t *testing.T) {
	var n int
	p := events.PublisherFunc(func(_ context.Context, evs ...event.Event) error { n += len(evs); return nil })
	_ = p.Publish(context.Background(), newEvent("1", "t"), newEvent("2", "t"))
	if n != 2 {
		t.Fatalf("PublisherFunc saw %d events", n)
	}
}

type tenantKey struct{}

func TestDecorate(t *testing.T) {
	m := events.NewMemory()
	p := events.Decorate(m, func(ctx context.Context, e *event.Event) {
		if v, ok := ctx.Value(tenantKey{}).(string); ok {
			e.SetExtension("tenant", v)
		}
	})
	ctx := context.WithValue(context.Background(), tenantKey{}, "acme")
	e := newEvent("1", "t")
	if err := p.Publish(ctx, e, event.Event{}); !reflect.DeepEqual(events.FailedIndexes(err, 2), []int{1}) {
		t.Fatalf("Publish: %v, want the event without context to fail alone", err)
	}
	if got := m.AssertPublished(t, "t"); got.Extensions()["tenant"] != "acme" {
		t.Fatalf("decorated event %s", got)
	}
	if e.Extensions()["tenant"] != nil {
		t.Fatal("Decorate changed the caller's event")
	}
}
