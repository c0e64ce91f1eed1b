package events

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Memory is a Publisher that records the events it is given, for tests:
// a handler under test publishes into it, and the test asserts what was
// published. Make it with NewMemory; it is safe for concurrent use.
//
// Publish validates each event (an invalid one fails with an invalid-input
// error and is not recorded), records a copy of each valid one, and fails
// with the context's error if ctx is done. Failures can be injected with
// FailWith.
type Memory struct {
	mu     sync.Mutex
	events []event.Event
	fail   func(e event.Event) error
	notify chan struct{} // closed and replaced at every record
}

var _ Publisher = (*Memory)(nil)

// NewMemory returns an empty Memory publisher.
func NewMemory() *Memory { return &Memory{notify: make(chan struct{})} }

// Publish records a copy of each valid event; see Memory.
func (m *Memory) Publish(ctx context.Context, events ...event.Event) error {
	if len(events) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("events: memory publish: %w", err)
	}
	m.mu.Lock()
	fail := m.fail
	m.mu.Unlock()
	var c Collector
	keep := make([]event.Event, 0, len(events))
	for i := range events {
		e := &events[i]
		if err := CheckEvent(e); err != nil {
			c.Fail(i, e, err)
			continue
		}
		if fail != nil {
			if err := fail(*e); err != nil {
				c.Fail(i, e, err)
				continue
			}
		}
		keep = append(keep, e.Clone())
	}
	if len(keep) > 0 {
		m.mu.Lock()
		m.events = append(m.events, keep...)
		close(m.notify)
		m.notify = make(chan struct{})
		m.mu.Unlock()
	}
	return c.Err(len(events))
}

// FailWith makes Publish fail each event for which fail returns an error
// (with that error), instead of recording it; nil restores success. Use it
// to test how a handler copes with a failing destination, for example
// FailWith(func(event.Event) error { return errors.New("down") }).
func (m *Memory) FailWith(fail func(e event.Event) error) {
	m.mu.Lock()
	m.fail = fail
	m.mu.Unlock()
}

// Events returns copies of the recorded events, in publication order.
func (m *Memory) Events() []event.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]event.Event, len(m.events))
	for i := range m.events {
		out[i] = m.events[i].Clone()
	}
	return out
}

// Len returns the number of recorded events.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events)
}

// ByType returns copies of the recorded events of type typ, in order.
func (m *Memory) ByType(typ string) []event.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []event.Event
	for i := range m.events {
		if m.events[i].Type() == typ {
			out = append(out, m.events[i].Clone())
		}
	}
	return out
}

// Reset forgets every recorded event (not the FailWith function).
func (m *Memory) Reset() {
	m.mu.Lock()
	m.events = nil
	m.mu.Unlock()
}

// Wait blocks until at least n events are recorded, and returns them, or
// returns ctx's error. Use it when the code under test publishes from
// another goroutine.
func (m *Memory) Wait(ctx context.Context, n int) ([]event.Event, error) {
	for {
		m.mu.Lock()
		if len(m.events) >= n {
			m.mu.Unlock()
			return m.Events(), nil
		}
		ch := m.notify
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("events: waiting for %d events (have %d): %w", n, m.Len(), ctx.Err())
		}
	}
}

// TB is the part of testing.TB that Memory's assertions use; pass the
// test's *testing.T. (The events package does not import testing.)
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// AssertPublished fails t unless exactly one recorded event has type typ,
// and returns a copy of it.
func (m *Memory) AssertPublished(t TB, typ string) event.Event {
	t.Helper()
	got := m.ByType(typ)
	if len(got) != 1 {
		t.Fatalf("events: %d events of type %q were published, want 1; published: %s", len(got), typ, m.summary())
		return event.Event{}
	}
	return got[0]
}

// AssertTypes fails t unless the recorded events have exactly the types
// types, in that order.
func (m *Memory) AssertTypes(t TB, types ...string) {
	t.Helper()
	evs := m.Events()
	ok := len(evs) == len(types)
	for i := 0; ok && i < len(evs); i++ {
		ok = evs[i].Type() == types[i]
	}
	if !ok {
		t.Fatalf("events: published %s, want types %q", m.summary(), types)
	}
}

// AssertNone fails t if any event was recorded.
func (m *Memory) AssertNone(t TB) {
	t.Helper()
	if n := m.Len(); n != 0 {
		t.Fatalf("events: %d events were published, want none: %s", n, m.summary())
	}
}

// summary lists the recorded events as "[type id, …]".
func (m *Memory) summary() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	parts := make([]string, len(m.events))
	for i := range m.events {
		parts[i] = m.events[i].Type() + " " + m.events[i].ID()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
