package handlertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

func TestNewEventDefaultsAndOptions(t *testing.T) {
	a, b := NewEvent(), NewEvent()
	if a.ID() == b.ID() {
		t.Fatalf("ids repeat: %s", a.ID())
	}
	if a.Source() != DefaultSource || a.Type() != DefaultType || a.SpecVersion() != "1.0" {
		t.Fatalf("defaults: %s", a)
	}
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := NewEvent(WithID("x"), WithSource("https://example.com/s"), WithType("t"), WithSubject("sub"),
		WithTime(when), WithExtension("tenant", "acme"), WithJSON(map[string]int{"a": 1}))
	if e.ID() != "x" || e.Source() != "https://example.com/s" || e.Type() != "t" || e.Subject() != "sub" ||
		!e.Time().Equal(when) || e.Extensions()["tenant"] != "acme" || string(e.Data()) != `{"a":1}` ||
		e.DataContentType() != "application/json" {
		t.Fatalf("options not applied: %s", e)
	}
}

func TestNewEventPanicsOnInvalidOptions(t *testing.T) {
	for name, opt := range map[string]EventOption{
		"empty id":      WithID(""),
		"bad extension": WithExtension("Not_Valid", "x"),
		"unencodable":   WithJSON(make(chan int)),
		"bad source":    WithSource("%zz"),
		"empty type":    WithType(""),
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			NewEvent(opt)
		})
	}
}

func TestInvokeSetsInvocationAndChecksEvents(t *testing.T) {
	var seen handler.Invocation
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		seen, _ = handler.InvocationFrom(ctx)
		return nil, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := Invoke(ctx, h, NewEvent(WithID("abc")))
	if res.Err != nil || res.Reply != nil || res.Class() != handler.ClassNone {
		t.Fatalf("result %+v", res)
	}
	if seen.Platform != handler.PlatformTest || seen.RequestID != "req-abc" || seen.Attempt != 1 || seen.Deadline.IsZero() {
		t.Fatalf("invocation %+v", seen)
	}

	ctx = handler.WithInvocation(context.Background(), &handler.Invocation{Platform: "custom", Attempt: 4})
	Invoke(ctx, h, NewEvent())
	if seen.Platform != "custom" || seen.Attempt != 4 {
		t.Fatalf("caller's invocation replaced: %+v", seen)
	}

	called := false
	bad := event.New()
	bad.SetSource("/x")
	bad.SetType("t")
	res = Invoke(context.Background(), handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		called = true
		return nil, nil
	}), bad)
	if called || res.Class() != handler.ClassInvalidInput {
		t.Fatalf("invalid event reached the handler (called=%v, %v)", called, res.Err)
	}
}

func TestInvokeRejectsInvalidReply(t *testing.T) {
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		r := event.New()
		r.SetType("only-type")
		return &r, nil
	})
	res := Invoke(context.Background(), h, NewEvent())
	if !errors.Is(res.Err, ErrInvalidReply) {
		t.Fatalf("err %v", res.Err)
	}
}

func TestDecodeAndReplyAs(t *testing.T) {
	h := handler.Typed(func(ctx context.Context, in map[string]int) (map[string]int, error) {
		in["n"]++
		return in, nil
	})
	res := Invoke(context.Background(), h, NewEvent(WithJSON(map[string]int{"n": 1})))
	if got := ReplyAs[map[string]int](t, res); got["n"] != 2 {
		t.Fatalf("reply %v", got)
	}
	if err := (&Result{}).Decode(new(int)); err == nil {
		t.Fatal("Decode without reply succeeded")
	}
	r := NewEvent(WithData("application/json", []byte("nope")))
	if err := (&Result{Reply: &r}).Decode(new(int)); err == nil {
		t.Fatal("Decode of bad JSON succeeded")
	}
}

func TestReplyAsFailsTheTest(t *testing.T) {
	for name, res := range map[string]*Result{
		"error":    {Err: errors.New("boom")},
		"no reply": {},
	} {
		t.Run(name, func(t *testing.T) {
			ft := &fakeTB{TB: t}
			func() {
				defer func() { _ = recover() }()
				ReplyAs[int](ft, res)
			}()
			if !ft.failed {
				t.Fatal("ReplyAs did not fail the test")
			}
		})
	}
}

// fakeTB records Fatal calls instead of stopping the real test.
type fakeTB struct {
	testing.TB
	failed bool
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatal(args ...any) {
	f.failed = true
	panic("fatal")
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = true
	panic("fatal")
}
