package middleware

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// fakeClock is a clock whose sleeps advance it instantly.
type fakeClock struct {
	t     time.Time
	waits []time.Duration
}

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.waits = append(c.waits, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

// flaky fails with errs in turn, then succeeds, recording Attempt.
func flaky(attempts *[]int, errs ...error) handler.Handler {
	return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		*attempts = append(*attempts, Attempt(ctx))
		if n := len(*attempts); n <= len(errs) {
			return nil, errs[n-1]
		}
		r := e.Clone()
		return &r, nil
	})
}

func TestRetryRetryable(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	var attempts []int
	h := Retry(WithMaxAttempts(4), WithBackoff(100*time.Millisecond, time.Second), WithClock(clk.now), withSleep(clk.sleep))(
		flaky(&attempts, errors.New("a"), errors.New("b"), errors.New("c")))
	reply, err := invoke(context.Background(), h, newEvent())
	if err != nil || reply == nil {
		t.Fatalf("reply %v err %v", reply, err)
	}
	if len(attempts) != 4 || attempts[0] != 1 || attempts[3] != 4 {
		t.Fatalf("attempts %v", attempts)
	}
	// Exponential with ±50 % jitter: 100, 200, 400 ms nominal.
	for i, nominal := range []time.Duration{100, 200, 400} {
		nominal *= time.Millisecond
		if w := clk.waits[i]; w < nominal/2 || w > nominal*3/2 {
			t.Fatalf("wait %d = %v, want %v ± 50%%", i, w, nominal)
		}
	}
}

func TestRetryJitter(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 20 {
		clk := &fakeClock{t: time.Unix(0, 0)}
		var attempts []int
		h := Retry(WithMaxAttempts(2), WithClock(clk.now), withSleep(clk.sleep))(flaky(&attempts, errors.New("x")))
		_, _ = invoke(context.Background(), h, newEvent())
		seen[clk.waits[0]] = true
	}
	if len(seen) < 5 {
		t.Fatalf("20 first waits took only %d values: no jitter", len(seen))
	}
}

func TestRetryGivesUp(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	var attempts []int
	last := errors.New("third")
	h := Retry(WithClock(clk.now), withSleep(clk.sleep))(flaky(&attempts, errors.New("1"), errors.New("2"), last, nil))
	_, err := invoke(context.Background(), h, newEvent())
	if err != last || len(attempts) != DefaultMaxAttempts {
		t.Fatalf("err %v after %d attempts", err, len(attempts))
	}
}

func TestRetryNeverRetries(t *testing.T) {
	for name, err := range map[string]error{
		"invalid input": handler.InvalidInputf("bad"),
		"permanent":     handler.Permanent(errors.New("no")),
		"throttled":     handler.Throttled(errors.New("busy"), time.Second),
	} {
		t.Run(name, func(t *testing.T) {
			clk := &fakeClock{t: time.Unix(0, 0)}
			var attempts []int
			h := Retry(WithClock(clk.now), withSleep(clk.sleep))(flaky(&attempts, err))
			if _, got := invoke(context.Background(), h, newEvent()); got != err || len(attempts) != 1 || len(clk.waits) != 0 {
				t.Fatalf("err %v attempts %v", got, attempts)
			}
		})
	}
}

func TestRetryRespectsDeadline(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	var attempts []int
	ctx, cancel := context.WithDeadline(context.Background(), clk.t.Add(250*time.Millisecond))
	defer cancel()
	h := Retry(WithMaxAttempts(10), WithBackoff(100*time.Millisecond, 100*time.Millisecond), WithClock(clk.now), withSleep(clk.sleep))(
		flaky(&attempts, errors.New("1"), errors.New("2"), errors.New("3"), errors.New("4")))
	_, err := invoke(ctx, h, newEvent())
	if err == nil {
		t.Fatal("retried past the deadline")
	}
	var total time.Duration
	for _, w := range clk.waits {
		total += w
	}
	if total >= 250*time.Millisecond {
		t.Fatalf("waited %v with 250ms left", total)
	}
	if len(attempts) < 2 {
		t.Fatalf("attempts %v: should have retried while time was left", attempts)
	}
}

func TestRetryStopsWhenContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var attempts []int
	h := Retry(WithMaxAttempts(5))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		attempts = append(attempts, Attempt(ctx))
		cancel()
		return nil, ctx.Err()
	}))
	if _, err := invoke(ctx, h, newEvent()); !errors.Is(err, context.Canceled) || len(attempts) != 1 {
		t.Fatalf("err %v attempts %v", err, attempts)
	}
}

func TestRetryPanics(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	n := 0
	h := Retry(WithClock(clk.now), withSleep(clk.sleep))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		n++
		if n == 1 {
			panic("once")
		}
		return nil, nil
	}))
	if _, err := invoke(context.Background(), h, newEvent()); err != nil || n != 2 {
		t.Fatalf("err %v runs %d", err, n)
	}
	if Attempt(context.Background()) != 0 {
		t.Fatal("Attempt outside Retry")
	}
}

func TestRetryRealSleep(t *testing.T) {
	var attempts []int
	h := Retry(WithBackoff(time.Millisecond, 2*time.Millisecond))(flaky(&attempts, errors.New("x")))
	if _, err := invoke(context.Background(), h, newEvent()); err != nil || len(attempts) != 2 {
		t.Fatalf("err %v attempts %v", err, attempts)
	}
}
