package middleware

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/sony/gobreaker/v2"

	"github.com/fnkit/fnkit/handler"
)

// gobreaker reads the real clock and offers no seam, so the open timeout
// here is short and the test waits it out with a wide margin.
func TestCircuitBreaker(t *testing.T) {
	lg, buf := jsonLogger(slog.LevelInfo)
	r, mp := newReader()
	var runs atomic.Int32
	var fail atomic.Pointer[error]
	set := func(err error) { fail.Store(&err) }
	set(errors.New("down"))
	b := NewBreaker("store", WithFailureThreshold(3), WithOpenTimeout(50*time.Millisecond), WithRetryAfter(2*time.Second),
		WithLogger(lg), WithMeterProvider(mp))
	h := b.Middleware()(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		runs.Add(1)
		err := *fail.Load()
		if errors.Is(err, errNone) {
			return nil, nil
		}
		return nil, err
	}))
	call := func() error { _, err := invoke(context.Background(), h, newEvent()); return err }

	// Invalid input and permanent failures do not trip it.
	set(handler.InvalidInputf("bad"))
	for range 5 {
		_ = call()
	}
	if b.State() != "closed" {
		t.Fatalf("tripped by invalid input: %s", b.State())
	}
	set(errors.New("down"))
	for range 3 {
		if err := call(); err == nil || errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("closed breaker: %v", err)
		}
	}
	if b.State() != "open" {
		t.Fatalf("state %s after 3 failures", b.State())
	}
	before := runs.Load()
	start := time.Now()
	err := call()
	if !errors.Is(err, ErrCircuitOpen) || !errors.Is(err, gobreaker.ErrOpenState) || handler.ClassOf(err) != handler.ClassThrottled ||
		handler.RetryAfter(err) != 2*time.Second {
		t.Fatalf("open breaker error %v (class %v)", err, handler.ClassOf(err))
	}
	if runs.Load() != before || time.Since(start) > 100*time.Millisecond {
		t.Fatal("open breaker ran the handler or was slow")
	}

	time.Sleep(150 * time.Millisecond)
	set(errNone)
	if err := call(); err != nil {
		t.Fatalf("half-open probe: %v", err)
	}
	if b.State() != "closed" {
		t.Fatalf("state %s after a successful probe", b.State())
	}

	changes := byMsg(lines(t, buf), "circuit breaker state change")
	want := []string{"open", "half-open", "closed"}
	if len(changes) != len(want) {
		t.Fatalf("state changes logged: %v", changes)
	}
	for i, c := range changes {
		if c["to"] != want[i] || c["breaker"] != "store" || c["level"] != "WARN" {
			t.Fatalf("change %d: %v", i, c)
		}
	}
	counted := sums(t, collect(t, r)["fnkit.breaker.state_changes"], "fnkit.breaker.state")
	if counted["open"] != 1 || counted["half-open"] != 1 || counted["closed"] != 1 {
		t.Fatalf("counted %v", counted)
	}
}

var errNone = errors.New("none")

func TestBreakerDo(t *testing.T) {
	b := NewBreaker("publisher", WithFailureThreshold(1), WithOpenTimeout(time.Hour))
	if err := b.Do(func() error { panic("bad publisher") }); err == nil {
		t.Fatal("panic not returned")
	} else {
		var p *handler.PanicError
		if !errors.As(err, &p) {
			t.Fatalf("err %T %v", err, err)
		}
	}
	ran := false
	err := b.Do(func() error { ran = true; return nil })
	if ran || !errors.Is(err, ErrCircuitOpen) || b.Name() != "publisher" {
		t.Fatalf("ran %v err %v", ran, err)
	}
}

func TestBreakerCancelledCallerNotCounted(t *testing.T) {
	b := NewBreaker("x", WithFailureThreshold(1))
	for range 3 {
		_ = b.Do(func() error { return context.Canceled })
	}
	if b.State() != "closed" {
		t.Fatalf("cancelled callers opened the breaker")
	}
}

func TestBreakerHalfOpenFailureReopens(t *testing.T) {
	b := NewBreaker("y", WithFailureThreshold(1), WithOpenTimeout(30*time.Millisecond))
	_ = b.Do(func() error { return errors.New("down") })
	time.Sleep(100 * time.Millisecond)
	_ = b.Do(func() error { return errors.New("still down") })
	if b.State() != "open" {
		t.Fatalf("state %s after a failed probe", b.State())
	}
}
