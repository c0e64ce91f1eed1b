package eventbridgepub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/eventbridgepub"
	"github.com/fnkit/fnkit/events/publishertest"
	"github.com/fnkit/fnkit/handler"
)

func client(s *server, attempts int) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint:     aws.String(s.srv.URL),
		RetryMaxAttempts: attempts,
	})
}

// ebEvent is the EventBridge event a rule target receives.
type ebEvent struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Time       string          `json:"time"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// unwrap decodes a delivered EventBridge event's detail as a
// structured-mode CloudEvent, as events.FromEventBridge unwraps it.
func unwrap(t *testing.T, raw json.RawMessage) event.Event {
	t.Helper()
	var eb ebEvent
	if err := json.Unmarshal(raw, &eb); err != nil {
		t.Fatal(err)
	}
	var e event.Event
	if err := json.Unmarshal(eb.Detail, &e); err != nil {
		t.Fatalf("detail is not a structured CloudEvent: %v\n%s", err, eb.Detail)
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("detail is not a valid CloudEvent: %v", err)
	}
	return e
}

func received(t *testing.T, s *server) []event.Event {
	var out []event.Event
	for _, raw := range s.events() {
		out = append(out, unwrap(t, raw))
	}
	return out
}

func newEvent(id string) event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("com.example.orders")
	e.SetType("com.example.order.created")
	_ = e.SetData("application/json", []byte(`{"id":"`+id+`"}`))
	return e
}

func ids(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID()
	}
	return out
}

// TestConformance runs the suite. It sends an event with 256 KiB of data,
// more than EventBridge's limit, so the limit is raised here (on both
// sides); TestTooLarge checks the default.
func TestConformance(t *testing.T) {
	publishertest.Run(t, func(t *testing.T) publishertest.Target {
		s := newServer(t)
		s.max = 1 << 20
		p, err := eventbridgepub.New(client(s, 0), s.bus("orders"), eventbridgepub.WithMaxEntrySize(1<<20))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if n := s.unsigned.Load(); n > 0 {
				t.Errorf("%d requests were not SigV4 signed", n)
			}
		})
		return publishertest.Target{Publisher: p, Received: func() []event.Event { return received(t, s) }}
	})
}

func TestMapping(t *testing.T) {
	s := newServer(t)
	p, _ := eventbridgepub.New(client(s, 1), "")
	e := newEvent("m1")
	e.SetSubject("arn:aws:s3:::bucket/key")
	e.SetTime(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))
	e.SetExtension("tenant", "acme")
	plain := newEvent("m2")
	plain.SetSubject("orders/2")
	if err := p.Publish(context.Background(), e, plain); err != nil {
		t.Fatal(err)
	}
	got := s.events()
	if len(got) != 2 {
		t.Fatalf("%d events on the bus", len(got))
	}
	var eb ebEvent
	_ = json.Unmarshal(got[0], &eb)
	if eb.Source != "com.example.orders" || eb.DetailType != "com.example.order.created" || eb.Time != "2026-05-06T07:08:09Z" ||
		!reflect.DeepEqual(eb.Resources, []string{"arn:aws:s3:::bucket/key"}) {
		t.Errorf("EventBridge event %s", got[0])
	}
	var detail map[string]any
	_ = json.Unmarshal(eb.Detail, &detail)
	if d, _ := detail["data"].(map[string]any); d["id"] != "m1" || detail["tenant"] != "acme" || detail["subject"] != "arn:aws:s3:::bucket/key" {
		t.Errorf("detail %s: want the structured event with data readable for patterns", eb.Detail)
	}
	_ = json.Unmarshal(got[1], &eb)
	if len(eb.Resources) != 0 {
		t.Errorf("a subject that is no ARN became resources %v", eb.Resources)
	}
	if r := unwrap(t, got[0]); !publishertest.Equal(r, e) {
		t.Errorf("round trip: %v, want %v", r, e)
	}

	withRes, _ := eventbridgepub.New(client(s, 1), "", eventbridgepub.WithResources(func(e *event.Event) []string { return []string{"res:" + e.Subject()} }))
	entry, size, err := withRes.Entry(&plain)
	if err != nil || !reflect.DeepEqual(entry.Resources, []string{"res:orders/2"}) || size != len(*entry.Source)+len(*entry.DetailType)+len(*entry.Detail)+len("res:orders/2") {
		t.Errorf("Entry = %+v, %d, %v", entry, size, err)
	}
}

func TestBatches(t *testing.T) {
	s := newServer(t)
	p, _ := eventbridgepub.New(client(s, 1), "")
	var evs []event.Event
	for i := range 21 {
		evs = append(evs, newEvent(fmt.Sprintf("e%02d", i)))
	}
	if err := p.Publish(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
	if s.calls != 3 {
		t.Errorf("%d PutEvents calls for 21 events, want 3", s.calls)
	}
	if got := ids(received(t, s)); !reflect.DeepEqual(got, ids(evs)) {
		t.Errorf("received %v", got)
	}
	s2 := newServer(t)
	p2, _ := eventbridgepub.New(client(s2, 1), "")
	big := func(id string) event.Event {
		e := newEvent(id)
		_ = e.SetData("application/json", []byte(`"`+strings.Repeat("z", 100<<10)+`"`))
		return e
	}
	if err := p2.Publish(context.Background(), big("a"), big("b"), big("c")); err != nil {
		t.Fatalf("3 × 100 KiB: %v", err)
	}
	if s2.calls != 2 {
		t.Errorf("%d calls for 3 × 100 KiB, want 2 (256 KiB per request)", s2.calls)
	}
}

func TestInvalidEntries(t *testing.T) {
	s := newServer(t)
	p, _ := eventbridgepub.New(client(s, 1), "")
	huge := newEvent("huge")
	_ = huge.SetData("application/json", []byte(`"`+strings.Repeat("x", 256<<10)+`"`))
	reserved := newEvent("reserved")
	reserved.SetSource("aws.s3")
	long := newEvent("long")
	long.SetType(strings.Repeat("t", 129))
	err := p.Publish(context.Background(), newEvent("ok"), huge, reserved, long)
	var pe *events.PublishError
	if !errors.As(err, &pe) || len(pe.Failures) != 3 {
		t.Fatalf("err = %v", err)
	}
	wants := []error{eventbridgepub.ErrTooLarge, eventbridgepub.ErrInvalidEntry, eventbridgepub.ErrInvalidEntry}
	for i, f := range pe.Failures {
		if f.Index != i+1 || !errors.Is(f.Err, wants[i]) || handler.ClassOf(f.Err) != handler.ClassPermanent {
			t.Errorf("failure %d: %v", f.Index, f.Err)
		}
	}
	if !strings.Contains(pe.Failures[0].Err.Error(), "262144-byte limit") || !strings.Contains(pe.Failures[2].Err.Error(), "129 characters") {
		t.Errorf("errors do not name the limits: %v; %v", pe.Failures[0].Err, pe.Failures[2].Err)
	}
	if got := ids(received(t, s)); !reflect.DeepEqual(got, []string{"ok"}) {
		t.Errorf("received %v", got)
	}
}

func TestPartialFailure(t *testing.T) {
	s := newServer(t)
	p, _ := eventbridgepub.New(client(s, 1), s.bus("orders"))
	s.setFaults(nil, func(d string) string {
		switch {
		case strings.Contains(d, "throttle-me"):
			return "ThrottlingException"
		case strings.Contains(d, "retry-me"):
			return "InternalFailure"
		case strings.Contains(d, "refuse-me"):
			return "AccessDeniedException"
		}
		return ""
	})
	names := []string{"a", "throttle-me", "b", "retry-me", "refuse-me", "c"}
	var evs []event.Event
	for _, n := range names {
		evs = append(evs, newEvent(n))
	}
	err := p.Publish(context.Background(), evs...)
	var pe *events.PublishError
	if !errors.As(err, &pe) || len(pe.Failures) != 3 {
		t.Fatalf("err = %v", err)
	}
	want := map[int]handler.Class{1: handler.ClassThrottled, 3: handler.ClassRetryable, 4: handler.ClassPermanent}
	for _, f := range pe.Failures {
		if handler.ClassOf(f.Err) != want[f.Index] || f.ID != names[f.Index] {
			t.Errorf("failure %d (%s): %v class %v", f.Index, f.ID, f.Err, handler.ClassOf(f.Err))
		}
	}
	if got := ids(received(t, s)); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("received %v", got)
	}
	// A bus that does not exist refuses every entry, permanently.
	missing, _ := eventbridgepub.New(client(s, 1), "nope")
	err = missing.Publish(context.Background(), newEvent("x"))
	if handler.ClassOf(err) != handler.ClassPermanent || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing bus: %v", err)
	}
}

func TestCallFailures(t *testing.T) {
	cases := []struct {
		status int
		code   string
		class  handler.Class
	}{
		{400, "ThrottlingException", handler.ClassThrottled},
		{500, "InternalException", handler.ClassRetryable},
		{400, "AccessDeniedException", handler.ClassPermanent},
		{400, "ValidationException", handler.ClassPermanent},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			s := newServer(t)
			p, _ := eventbridgepub.New(client(s, 1), "")
			s.setFaults(func() (int, string) { return tc.status, tc.code }, nil)
			err := p.Publish(context.Background(), newEvent("a"), newEvent("b"))
			if got := events.FailedIndexes(err, 2); len(got) != 2 || handler.ClassOf(err) != tc.class {
				t.Errorf("FailedIndexes %v, class %v, want %v: %v", got, handler.ClassOf(err), tc.class, err)
			}
			if len(s.events()) != 0 {
				t.Error("events delivered by a refused call")
			}
		})
	}
	t.Run("down", func(t *testing.T) {
		s := newServer(t)
		p, _ := eventbridgepub.New(client(s, 1), "")
		s.srv.Close()
		err := p.Publish(context.Background(), newEvent("a"), newEvent("b"))
		if got := events.FailedIndexes(err, 2); len(got) != 2 || handler.ClassOf(err) != handler.ClassRetryable {
			t.Errorf("bus down: %v (class %v)", err, handler.ClassOf(err))
		}
	})
	t.Run("deadline", func(t *testing.T) {
		s := newServer(t)
		p, _ := eventbridgepub.New(client(s, 1), "")
		s.delay.Store(int64(2 * time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := p.Publish(ctx, newEvent("a"))
		if time.Since(start) > time.Second || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("after %v: %v", time.Since(start), err)
		}
	})
	t.Run("unsigned", func(t *testing.T) {
		s := newServer(t)
		c := eventbridge.New(eventbridge.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(s.srv.URL), RetryMaxAttempts: 1})
		p, _ := eventbridgepub.New(c, "")
		err := p.Publish(context.Background(), newEvent("a"))
		if s.unsigned.Load() != 1 || handler.ClassOf(err) != handler.ClassPermanent {
			t.Errorf("unsigned: %v, %d unsigned requests seen", err, s.unsigned.Load())
		}
	})
}

func TestNewAndClose(t *testing.T) {
	s := newServer(t)
	for _, o := range []eventbridgepub.Option{eventbridgepub.WithBatchSize(0), eventbridgepub.WithBatchSize(11), eventbridgepub.WithMaxEntrySize(0)} {
		if _, err := eventbridgepub.New(client(s, 1), "", o); err == nil {
			t.Error("New accepted a bad option")
		}
	}
	if _, err := eventbridgepub.New(nil, ""); err == nil {
		t.Error("New(nil) succeeded")
	}
	p, _ := eventbridgepub.New(client(s, 1), "")
	s.delay.Store(int64(200 * time.Millisecond))
	done := make(chan error, 1)
	go func() { done <- p.Publish(context.Background(), newEvent("in-flight")) }()
	for s.requests.Load() == 0 { // the call is in flight once the server has it
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	_ = p.Close()
	// The server holds the call 200 ms: Close must have waited for it (the
	// goroutine's send on done may come a moment after Close returns).
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Fatalf("Close returned after %v, before the Publish in flight", waited)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the Publish in flight never returned")
	}
	if err := p.Publish(context.Background(), newEvent("late")); !errors.Is(err, eventbridgepub.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}
