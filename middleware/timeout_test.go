package middleware

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// deadlineSeen returns a handler that records the deadline of its context.
func deadlineSeen(got *time.Time, has *bool) handler.Handler {
	return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		*got, *has = ctx.Deadline()
		return nil, nil
	})
}

func TestTimeoutBounds(t *testing.T) {
	near := func(t *testing.T, got, want time.Time) {
		t.Helper()
		if d := got.Sub(want); d < -50*time.Millisecond || d > 50*time.Millisecond {
			t.Fatalf("deadline %v, want about %v (off by %v)", got, want, d)
		}
	}
	t.Run("margin from context deadline", func(t *testing.T) {
		dl := time.Now().Add(2 * time.Second)
		ctx, cancel := context.WithDeadline(context.Background(), dl)
		defer cancel()
		var got time.Time
		var has bool
		_, _ = invoke(ctx, Timeout(WithDeadlineMargin(500*time.Millisecond))(deadlineSeen(&got, &has)), newEvent())
		if !has {
			t.Fatal("no deadline")
		}
		near(t, got, dl.Add(-500*time.Millisecond))
	})
	t.Run("margin from invocation deadline", func(t *testing.T) {
		dl := time.Now().Add(3 * time.Second)
		ctx := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformAWSLambda, Deadline: dl})
		var got time.Time
		var has bool
		_, _ = invoke(ctx, Timeout()(deadlineSeen(&got, &has)), newEvent())
		near(t, got, dl.Add(-DefaultDeadlineMargin))
	})
	t.Run("margin at most half the time left", func(t *testing.T) {
		dl := time.Now().Add(400 * time.Millisecond)
		ctx, cancel := context.WithDeadline(context.Background(), dl)
		defer cancel()
		var got time.Time
		var has bool
		_, _ = invoke(ctx, Timeout(WithDeadlineMargin(time.Second))(deadlineSeen(&got, &has)), newEvent())
		near(t, got, dl.Add(-200*time.Millisecond))
	})
	t.Run("fixed without deadline", func(t *testing.T) {
		var got time.Time
		var has bool
		start := time.Now()
		_, _ = invoke(context.Background(), Timeout(WithTimeout(300*time.Millisecond))(deadlineSeen(&got, &has)), newEvent())
		near(t, got, start.Add(300*time.Millisecond))
	})
	t.Run("earlier of fixed and deadline", func(t *testing.T) {
		dl := time.Now().Add(10 * time.Second)
		ctx, cancel := context.WithDeadline(context.Background(), dl)
		defer cancel()
		var got time.Time
		var has bool
		start := time.Now()
		_, _ = invoke(ctx, Timeout(WithTimeout(time.Second))(deadlineSeen(&got, &has)), newEvent())
		near(t, got, start.Add(time.Second))
	})
	t.Run("no deadline no bound", func(t *testing.T) {
		var got time.Time
		has := true
		_, _ = invoke(context.Background(), Timeout()(deadlineSeen(&got, &has)), newEvent())
		if has {
			t.Fatalf("deadline %v without any bound", got)
		}
	})
}

func TestTimeoutDeadlinePassed(t *testing.T) {
	called := false
	h := Timeout()(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		called = true
		return nil, nil
	}))
	ctx := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformAWSLambda, Deadline: time.Now().Add(-time.Second)})
	_, err := h.Handle(ctx, newEvent())
	if called {
		t.Fatal("handler called after the deadline")
	}
	if !errors.Is(err, ErrNoTimeLeft) || !errors.Is(err, context.DeadlineExceeded) || handler.ClassOf(err) != handler.ClassRetryable {
		t.Fatalf("err %v (class %v)", err, handler.ClassOf(err))
	}
}

func TestTimeoutEndsSlowHandler(t *testing.T) {
	h := Timeout(WithTimeout(30 * time.Millisecond))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Second):
			return nil, nil
		}
	}))
	start := time.Now()
	_, err := invoke(context.Background(), h, newEvent())
	if !handler.IsDeadline(err) {
		t.Fatalf("err %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("took %v", el)
	}
}

func TestTimeoutOptionsPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"negative margin": func() { WithDeadlineMargin(-1) },
		"zero timeout":    func() { WithTimeout(0) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}
