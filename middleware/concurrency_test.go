package middleware

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

func TestConcurrency(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	h := Concurrency(2, WithRetryAfter(3*time.Second))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		started <- struct{}{}
		<-release
		return nil, nil
	}))
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = invoke(context.Background(), h, newEvent())
		}()
	}
	<-started
	<-started
	_, err := invoke(context.Background(), h, newEvent())
	if !errors.Is(err, ErrConcurrencyLimit) || handler.ClassOf(err) != handler.ClassThrottled || handler.RetryAfter(err) != 3*time.Second {
		t.Fatalf("third invocation: %v (class %v)", err, handler.ClassOf(err))
	}
	close(release)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := invoke(context.Background(), h, newEvent()); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestConcurrencyReleasesOnPanic(t *testing.T) {
	h := Concurrency(1)(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) { panic("x") }))
	for range 3 {
		_, err := handler.Call(context.Background(), h, newEvent())
		var p *handler.PanicError
		if !errors.As(err, &p) {
			t.Fatalf("err %v: slot not released after a panic", err)
		}
	}
}

func TestConcurrencyLimitPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	Concurrency(0)
}
